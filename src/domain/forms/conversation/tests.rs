use super::*;
use crate::domain::forms::definition::builtin;

/// Drives the conversation like a person typing, applying each turn's changes as the
/// application would.
struct Person {
    form: FormDef,
    answers: Answers,
    cursor: Cursor,
    submitted: Option<u32>,
    /// Changed since the last submission.
    amended: bool,
    log: Vec<String>,
}

impl Person {
    fn new(form_id: &str) -> Person {
        let form = builtin().into_iter().find(|f| f.id == form_id).unwrap();
        let mut p = Person {
            form,
            answers: Answers::new(),
            cursor: Cursor::default(),
            submitted: None,
            amended: false,
            log: Vec::new(),
        };
        let turn = {
            let ctx = p.ctx();
            resume(&ctx, &p.cursor)
        };
        p.apply(turn);
        p
    }

    fn ctx(&self) -> Context<'_> {
        Context {
            form: &self.form,
            fiscal_year: Some(2021),
            answers: &self.answers,
            region: "東京都世田谷区",
            submitted_version: self.submitted,
            amended: self.amended,
            earlier: None,
        }
    }

    fn apply(&mut self, turn: Turn) -> Turn {
        for op in &turn.ops {
            match op {
                Op::Set { question, answer } => {
                    self.answers.insert(question.clone(), answer.clone());
                }
                Op::Remove { question } => {
                    self.answers.remove(question);
                }
            }
        }
        if !turn.ops.is_empty() {
            self.amended = true;
        }
        self.cursor = turn.cursor.clone();
        for m in &turn.messages {
            self.log.push(m.text.clone());
        }
        if turn.event == Some(Event::Submit) {
            self.submitted = Some(self.submitted.unwrap_or(0) + 1);
            self.amended = false;
        }
        turn
    }

    fn say(&mut self, text: &str) -> Turn {
        let turn = {
            let ctx = self.ctx();
            handle(&ctx, &self.cursor, Input::Text(text.into()))
        };
        self.apply(turn)
    }

    fn press(&mut self, c: Command) -> Turn {
        let turn = {
            let ctx = self.ctx();
            handle(&ctx, &self.cursor, Input::Command(c))
        };
        self.apply(turn)
    }

    fn submit_fields(&mut self, fields: Vec<(String, String)>) -> Turn {
        let turn = {
            let ctx = self.ctx();
            handle(&ctx, &self.cursor, Input::Fields(fields))
        };
        self.apply(turn)
    }

    fn last(&self) -> &str {
        self.log.last().map(String::as_str).unwrap_or("")
    }

    fn number(&self, id: &str) -> Option<f64> {
        self.answers.get(id).and_then(Answer::number)
    }
}

#[test]
fn commands_are_whole_messages() {
    assert_eq!(parse_command("スキップ"), Some(Command::Skip));
    assert_eq!(parse_command(" /提出 "), Some(Command::Submit));
    assert_eq!(parse_command("修正 3"), Some(Command::Edit(3)));
    assert_eq!(parse_command("修正３"), Some(Command::Edit(3)));
    assert_eq!(parse_command("12番"), Some(Command::Edit(12)));
    assert_eq!(parse_command("しゅうせい 3"), Some(Command::Edit(3)));
    assert_eq!(parse_command("シュウセイ３"), Some(Command::Edit(3)));
    assert_eq!(parse_command("ていしゅつ"), Some(Command::Submit));
    assert_eq!(parse_command("やりなおし"), Some(Command::Clear));
    assert_eq!(parse_command("提出します。"), Some(Command::Submit));
    assert_eq!(parse_command("スキップ！"), Some(Command::Skip));
    assert_eq!(
        parse_command("このままていしゅつする"),
        Some(Command::ConfirmSubmit)
    );
    assert_eq!(parse_command("します"), None);
    assert_eq!(parse_command("次の行も書きます"), None);
    assert_eq!(parse_command("研修を実施した"), None);
    for c in [
        Command::Skip,
        Command::Edit(7),
        Command::ConfirmSubmit,
        Command::Modal,
    ] {
        assert_eq!(Command::from_id(&c.id()), Some(c));
    }
}

#[test]
fn form_a_from_start_to_submission() {
    let mut p = Person::new("jizen-kadai");
    assert!(p.log[0].contains("全4問"), "{}", p.log[0]);
    assert!(
        p.last().contains("【1/4】令和3年度の達成目標・取組状況"),
        "{}",
        p.last()
    );

    // A table, row by row: cell by cell, then a whole row with ｜.
    p.say("ピアサポーターの養成");
    assert!(p.last().contains("「取組状況」"), "{}", p.last());
    p.say("養成講座を2回実施した");
    assert!(p.log.iter().any(|l| l.contains("1行目を記録しました")));
    p.say("協議の場の設置｜圏域の連絡会を立ち上げた");
    assert!(p.log.iter().any(|l| l.contains("2行目を記録しました")));
    p.press(Command::Next);
    assert!(p.last().contains("【2/4】支援事業の成果"), "{}", p.last());

    // A list sent in two messages.
    p.say("・研修をオンラインで開催\n・ピア活動の支援");
    assert!(p.last().contains("2項目"));
    p.say("密着アドバイザーの助言");
    assert!(p.last().contains("3項目"));
    p.say("次へ");
    assert!(p.last().contains("【3/4】"));

    // Going back shows what was answered; skipping moves on.
    p.press(Command::Back);
    assert!(p.last().contains("【2/4】") && p.last().contains("研修をオンラインで開催"));
    p.press(Command::Next);
    p.press(Command::Skip);
    assert!(p.last().contains("【4/4】"));
    p.say("ピアサポーター活動の場を広げる");
    p.press(Command::Next);
    assert!(
        p.last()
            .contains("すべての質問が終わりました（未回答 1問）"),
        "{}",
        p.last()
    );

    // Every question of form A is required: the skipped one blocks submission.
    p.press(Command::Submit);
    assert!(
        p.last().contains("必須の質問に未回答があります")
            && p.last().contains("3. 次年度に向けた課題等"),
        "{}",
        p.last()
    );
    assert_eq!(p.submitted, None);
    p.say("修正 3");
    p.say("人材の確保");
    p.press(Command::Next);
    let t = p.press(Command::Submit);
    assert_eq!(t.event, Some(Event::Submit));
    assert_eq!(p.submitted, Some(1));

    // Amend after submitting: edit question 3, then submit a second version.
    p.say("修正 3");
    assert!(p.last().contains("【3/4】"));
    p.say("オンライン化への対応");
    p.press(Command::Next);
    let t = p.press(Command::Submit);
    assert_eq!(t.event, Some(Event::Submit));
    assert_eq!(p.submitted, Some(2));
    match &p.answers["goals"] {
        Answer::Table { rows } => assert_eq!(rows.len(), 2),
        other => panic!("{other:?}"),
    }
}

#[test]
fn required_questions_block_submission() {
    let mut p = Person::new("jizen-kadai");
    for _ in 0..4 {
        p.press(Command::Skip);
    }
    p.press(Command::Submit);
    assert!(
        p.last().contains("必須の質問に未回答があります"),
        "{}",
        p.last()
    );
    assert_eq!(p.submitted, None);
    // Optional questions left blank only ask for confirmation (form B).
    let mut p = Person::new("jichitai-sheet");
    p.press(Command::Submit);
    assert!(p.last().contains("このまま提出しますか"), "{}", p.last());
    // An empty table cannot be finished with 次へ when it needs a row.
    let mut p = Person::new("jizen-kadai");
    p.press(Command::Next);
    assert!(
        p.last().contains("【1/4】") && p.log.iter().any(|l| l.contains("少なくとも1行")),
        "{:?}",
        p.log
    );
}

#[test]
fn form_b_numbers_with_explanations_and_checks() {
    let mut p = Person::new("jichitai-sheet");
    assert!(p.last().contains("人口"), "{}", p.last());
    // Bad numbers get an explanation and the question again.
    p.say("たくさん");
    assert!(p.log[p.log.len() - 2].contains("数字で入力"), "{:?}", p.log);
    assert!(p.last().contains("人口"));
    p.say("920,471人 R3年4月");
    assert_eq!(p.number("population"), Some(920471.0));
    assert!(
        p.log
            .iter()
            .any(|l| l.contains("記録しました：人口 920,471人（R3年4月時点）"))
    );
    p.say("１");
    p.say("1市町村");
    p.say("3病院");
    p.say("1.5");
    assert!(p.log.iter().any(|l| l.contains("整数で入力")));
    p.say("1,200床");
    assert!(p.last().contains("入院精神障害者数"));
    p.say("568人");
    p.say("0");
    p.say("0");
    // 1年以上 = 500 does not add up to 568: saved, explained, asked again.
    p.say("500");
    assert!(
        p.log
            .iter()
            .any(|l| l.contains("合計が、入院精神障害者数（合計）と一致しません")),
        "{:?}",
        p.log
    );
    assert!(p.last().contains("入院期間１年以上"), "{}", p.last());
    assert_eq!(p.number("stay_ge1y"), Some(500.0));
    p.say("568");
    assert!(p.last().contains("６５歳未満"), "{}", p.last());
    p.say("215");
    p.say("353");
    // Percent and flags.
    p.say("120%");
    assert!(p.log.iter().any(|l| l.contains("0〜100")));
    p.press(Command::Skip);
    p.press(Command::Skip);
    p.press(Command::Skip);
    p.say("1か所");
    p.say("9");
    p.say("43");
    p.say("1");
    p.say("2回");
    p.say("どうかな");
    assert!(p.log.iter().any(|l| l.contains("「有」か「無」")));
    p.say("有");
    p.say("1/1");
    p.say("6/5");
    assert!(p.log.iter().any(|l| l.contains("超えて")));
    p.say("1/1");
    p.say("1/1");
    assert!(p.last().contains("取組概要"), "{}", p.last());

    // Long text in several messages.
    p.say("協議の場を設置し、関係機関の連携を強化した。");
    p.say("アウトリーチ支援を多職種チームで実施している。");
    assert!(p.last().contains("計"), "{}", p.last());
    match &p.answers["overview"] {
        Answer::Text { text } => assert_eq!(text.lines().count(), 2),
        other => panic!("{other:?}"),
    }
    p.press(Command::Next);

    // Review shows numbers, computed shares and unanswered questions.
    p.press(Command::Review);
    let review = p.last().to_string();
    assert!(
        review.contains("1. 人口: 920,471人（R3年4月時点）"),
        "{review}"
    );
    assert!(
        review.contains("（自動計算）１年以上の構成割合: 100.0％"),
        "{review}"
    );
    assert!(review.contains("（未回答）"), "{review}");

    // Preview reads like the sheet.
    p.press(Command::Preview);
    assert!(
        p.last().contains("■ 基礎情報") && p.last().contains("【精神科病床数】1,200床"),
        "{}",
        p.last()
    );

    // A total broken later blocks submission until it is fixed.
    p.say("修正 7");
    p.say("10");
    assert!(p.log.iter().any(|l| l.contains("一致しません")));
    p.press(Command::Submit);
    assert!(p.last().contains("まだ提出できません"), "{}", p.last());
    p.say("修正 7");
    p.say("0");
    p.press(Command::Submit);
    assert!(p.last().contains("このまま提出しますか"), "{}", p.last());
    p.press(Command::ConfirmSubmit);
    assert_eq!(p.submitted, Some(1));
}

#[test]
fn tables_from_an_input_form_and_six_columns() {
    let mut p = Person::new("jichitai-sheet");
    let n = p
        .form
        .asked()
        .iter()
        .find(|a| a.question.id == "challenges")
        .unwrap()
        .number;
    p.say(&format!("修正 {n}"));
    assert!(p.last().contains("課題と取組方針・役割"));
    // Six columns: the modal holds five; the sixth is asked by message.
    let t = p.press(Command::Modal);
    let modal = t.messages[0].modal.clone().unwrap();
    assert_eq!(modal.fields.len(), 5);
    assert!(modal.title.chars().count() <= 45);
    let fields: Vec<(String, String)> = modal
        .fields
        .iter()
        .map(|f| (f.id.clone(), format!("{}の内容", f.label)))
        .collect();
    let t = {
        let ctx = p.ctx();
        handle(&ctx, &p.cursor, Input::Fields(fields))
    };
    p.apply(t);
    assert!(
        p.last().contains("「その他関係機関・住民等」"),
        "{}",
        p.last()
    );
    p.say("住民への普及啓発");
    match &p.answers["challenges"] {
        Answer::Table { rows } => {
            assert_eq!(rows.len(), 1);
            assert_eq!(rows[0].len(), 6);
            assert_eq!(rows[0][5], "住民への普及啓発");
        }
        other => panic!("{other:?}"),
    }
    // A row with the wrong number of cells is explained, not stored.
    p.say("a｜b");
    assert!(p.log.iter().any(|l| l.contains("列の数が合いません")));
}

#[test]
fn pausing_and_resuming() {
    let mut p = Person::new("jizen-kadai");
    p.say("目標｜状況");
    let t = p.press(Command::Pause);
    assert_eq!(t.event, Some(Event::Pause));
    let t = {
        let ctx = p.ctx();
        resume(&ctx, &p.cursor)
    };
    assert!(
        t.messages[0]
            .text
            .contains("続きから再開します（回答済み 1/4問）"),
        "{}",
        t.messages[0].text
    );
    assert!(t.messages[1].text.contains("【1/4】"));
}

#[test]
fn after_a_correction_the_person_returns_to_where_they_were() {
    let mut p = Person::new("jichitai-sheet");
    for text in ["920,471人", "1", "1市町村", "3病院", "1,200床"] {
        p.say(text);
    }
    assert!(p.last().contains("【6/"), "{}", p.last());
    p.press(Command::Edit(1));
    assert!(
        p.last().contains("【1/") && p.last().contains("現在の回答: 920,471人"),
        "{}",
        p.last()
    );
    p.say("920,472人");
    assert_eq!(p.number("population"), Some(920472.0));
    assert!(
        p.log.iter().any(|l| l == "修正前の質問に戻ります。"),
        "{:?}",
        p.log
    );
    assert!(
        p.last().contains("【6/"),
        "back at question 6: {}",
        p.last()
    );
    // Two corrections in a row still come back to 6; correcting 6 itself just goes on.
    p.press(Command::Edit(2));
    p.press(Command::Edit(3));
    p.say("2市町村");
    assert!(p.last().contains("【6/"), "{}", p.last());
    p.press(Command::Edit(6));
    p.say("568人");
    assert!(p.last().contains("【7/"), "{}", p.last());
    // 「戻る」 after 「修正」 means the person steers: no jump afterwards.
    p.press(Command::Edit(2));
    p.press(Command::Back);
    p.say("920,000人");
    assert!(p.last().contains("【2/"), "{}", p.last());
    // From the end of the form, a correction returns to the end.
    let mut p = Person::new("jizen-kadai");
    p.say("地域移行｜病院訪問");
    for _ in 0..4 {
        p.press(Command::Next);
    }
    p.say("・課題");
    p.press(Command::Next);
    p.say("・方針");
    p.press(Command::Next);
    assert!(p.cursor.finished, "{}", p.last());
    p.press(Command::Edit(2));
    p.say("・成果");
    p.press(Command::Next);
    assert!(
        p.cursor.finished,
        "back past the last question: {}",
        p.last()
    );
}

#[test]
fn figures_five_at_a_time_in_one_input_form() {
    let mut p = Person::new("jichitai-sheet");
    p.say("920,471人 R3年4月");
    let t = p.press(Command::Modal);
    let modal = t.messages[0].modal.clone().expect("a modal");
    assert_eq!(modal.fields.len(), 5, "{modal:?}");
    assert_eq!(modal.title, "基礎情報（2〜6/31）");
    assert!(
        modal
            .fields
            .iter()
            .all(|f| f.label.chars().count() <= 45 && !f.placeholder.is_empty())
    );
    assert_eq!(modal.fields[0].label, "2. 障害保健福祉圏域数");
    // One bad value among five: the four good ones are kept, the bad one is asked again.
    let values = ["１か所", "1市町村", "たくさん", "1,200床", "568人"];
    let fields = modal
        .fields
        .iter()
        .zip(values)
        .map(|(f, v)| (f.id.clone(), v.to_string()))
        .collect();
    p.submit_fields(fields);
    let said = &p.log[p.log.len() - 2];
    assert!(said.contains("記録しました：障害保健福祉圏域数 1か所、市町村数 1市町村、精神科病床数 1,200床、入院精神障害者数（合計） 568人"), "{said}");
    assert!(
        said.contains("⚠ 4. 精神科病院の数: 数字で入力してください"),
        "{said}"
    );
    assert!(p.last().contains("【4/31】"), "{}", p.last());
    assert_eq!(p.number("inpatients"), Some(568.0));
    // The form opened again starts at 4 and shows what is already there; unchanged
    // values are left alone, a cleared one is removed.
    let t = p.press(Command::Modal);
    let modal = t.messages[0].modal.clone().unwrap();
    assert_eq!(modal.fields[1].value, "1,200床");
    let fields = modal
        .fields
        .iter()
        .map(|f| match f.id.as_str() {
            "hospitals" => (f.id.clone(), "３病院".to_string()),
            "beds" => (f.id.clone(), String::new()),
            _ => (f.id.clone(), f.value.clone()),
        })
        .collect();
    let turn = p.submit_fields(fields);
    assert_eq!(turn.ops.len(), 2, "{:?}", turn.ops);
    assert_eq!(p.number("hospitals"), Some(3.0));
    assert_eq!(p.number("beds"), None);
    assert!(p.last().contains("【9/31】"), "{}", p.last());
    // Counts that do not add up: kept, explained, and the person stays on the last one.
    p.say("修正 7");
    let t = p.press(Command::Modal);
    let modal = t.messages[0].modal.clone().unwrap();
    let ids: Vec<&str> = modal.fields.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(
        ids[..3],
        ["stay_lt3m", "stay_3m_1y", "stay_ge1y"],
        "{ids:?}"
    );
    let fields = vec![
        ("stay_lt3m".to_string(), "10".to_string()),
        ("stay_3m_1y".to_string(), "20".to_string()),
        ("stay_ge1y".to_string(), "500".to_string()),
    ];
    p.submit_fields(fields);
    assert!(
        p.log.iter().any(|l| l.contains("一致しません")),
        "{:?}",
        p.log
    );
    assert!(p.last().contains("入院期間１年以上の人数"), "{}", p.last());
    p.say("538");
    assert!(p.last().contains("６５歳未満"), "{}", p.last());
}

#[test]
fn submitting_again_without_a_change_makes_no_new_version() {
    let mut p = Person::new("jizen-kadai");
    for text in [
        "地域移行｜病院訪問",
        "次へ",
        "・成果",
        "次へ",
        "・課題",
        "次へ",
        "・方針",
        "次へ",
        "提出",
    ] {
        p.say(text);
    }
    assert_eq!(p.submitted, Some(1));
    let turn = p.say("このまま提出する");
    assert_eq!(turn.event, None, "no identical 第2版");
    assert!(p.last().contains("回答が変わっていない"), "{}", p.last());
    p.say("修正 2");
    p.say("・もう一つの成果");
    p.say("提出");
    assert_eq!(p.submitted, Some(2), "a change is submitted again");
}

#[test]
fn a_row_of_separators_alone_is_not_a_row() {
    let mut p = Person::new("jizen-kadai");
    let turn = p.say("｜");
    assert!(
        turn.messages.iter().any(|m| m.text.contains("空の行")),
        "{:?}",
        turn.messages
    );
    assert!(!p.answers.contains_key("goals"));
}

#[test]
fn a_title_with_its_own_brackets_is_quoted_once() {
    let p = Person::new("jizen-kadai");
    let first = &p.log[0];
    assert!(first.contains("東京都世田谷区の『"), "{first}");
    assert!(
        !first.contains("「AD合同会議「"),
        "no nested 「「」」: {first}"
    );
}

impl Person {
    fn input(&mut self, input: Input) -> Turn {
        let turn = {
            let ctx = self.ctx();
            handle(&ctx, &self.cursor, input)
        };
        self.apply(turn)
    }

    fn sheet(&mut self, file: &str, text: &str) -> Turn {
        self.input(Input::Sheet {
            file: file.into(),
            text: text.into(),
        })
    }
}

const SHEET: &str =
    "１．令和３年度の達成目標・取組状況\n目標A | 状況A\n２．支援事業の成果\n・成果A\n";
const OTHER_SHEET: &str = "２．支援事業の成果\n・成果B\n";

#[test]
fn a_sheet_waits_for_yes_and_other_words_ask_again() {
    let mut p = Person::new("jizen-kadai");
    let shown = p.sheet("a.xlsx", SHEET);
    assert!(shown.ops.is_empty(), "nothing saved before はい");
    assert!(
        p.last().contains("2問の回答を読み取りました"),
        "{}",
        p.last()
    );
    // Text is not taken as an answer while the sheet waits.
    let t = p.say("目標を書きます");
    assert!(t.ops.is_empty());
    assert!(p.last().contains("「はい」か「いいえ」"), "{}", p.last());
    assert!(p.cursor.proposal.is_some());
    // 「はい、お願いします」 is a yes.
    let t = p.say("はい、お願いします");
    assert_eq!(t.ops.len(), 2);
    assert!(p.cursor.proposal.is_none());
    assert!(p.answers.contains_key("goals") && p.answers.contains_key("results"));
}

#[test]
fn a_button_under_an_earlier_sheet_confirms_nothing() {
    let mut p = Person::new("jizen-kadai");
    let first = p.sheet("a.xlsx", SHEET);
    let first_at = first.messages.last().unwrap().at.unwrap();
    let second = p.sheet("b.xlsx", OTHER_SHEET);
    let second_at = second.messages.last().unwrap().at.unwrap();
    assert_ne!(first_at, second_at);
    let t = p.input(Input::Button {
        command: Command::Accept,
        at: first_at,
    });
    assert!(
        t.ops.is_empty(),
        "the earlier sheet's はい does not apply the later one"
    );
    assert!(p.log.iter().any(|l| l.contains("前に読み取った内容のもの")));
    let t = p.input(Input::Button {
        command: Command::Accept,
        at: second_at,
    });
    assert_eq!(t.ops.len(), 1);
    assert!(
        matches!(p.answers.get("results"), Some(Answer::Bullets { items }) if items == &vec!["成果B".to_string()])
    );
    // Pressed again (a double click): nothing more happens.
    let t = p.input(Input::Button {
        command: Command::Accept,
        at: second_at,
    });
    assert!(t.ops.is_empty());
}

#[test]
fn a_waiting_sheet_is_asked_about_again_after_a_pause() {
    let mut p = Person::new("jizen-kadai");
    p.sheet("a.xlsx", SHEET);
    let turn = {
        let ctx = p.ctx();
        resume(&ctx, &p.cursor)
    };
    let p_turn = p.apply(turn);
    let text: String = p_turn.messages.iter().map(|m| m.text.clone()).collect();
    assert!(text.contains("「a.xlsx」から読み取った2問の回答"), "{text}");
    assert!(
        p_turn
            .messages
            .last()
            .unwrap()
            .actions
            .contains(&Command::Accept)
    );
}
