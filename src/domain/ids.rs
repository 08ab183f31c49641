//! Identifiers of the things nimo stores. Each is its own type, so a meeting id can never
//! be passed where a submission id is meant; the store turns them into integers.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

macro_rules! id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(i64);

        impl $name {
            pub const fn new(id: i64) -> Self {
                $name(id)
            }

            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = std::num::ParseIntError;

            /// A number as people type it: 「3」「３」, or as autocomplete gives it: 「3: 第２回…」.
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let head = s.split(':').next().unwrap_or("").trim();
                let digits: String = head
                    .chars()
                    .map(|c| match c {
                        '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
                        _ => c,
                    })
                    .collect();
                digits.parse().map($name)
            }
        }
    };
}

id!(
    /// A meeting (an AD合同会議 with its deadline).
    MeetingId
);
id!(
    /// A region's submission for a meeting: its draft and submitted versions.
    SubmissionId
);
id!(
    /// One message in the reminder outbox.
    DeliveryId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_read_as_typed() {
        assert_eq!("3".parse::<MeetingId>(), Ok(MeetingId::new(3)));
        assert_eq!("１２".parse::<MeetingId>(), Ok(MeetingId::new(12)));
        assert_eq!(
            "7: 令和３年度 第２回 AD合同会議".parse::<MeetingId>(),
            Ok(MeetingId::new(7))
        );
        assert!("会議".parse::<MeetingId>().is_err());
        assert_eq!(MeetingId::new(5).to_string(), "5");
    }
}
