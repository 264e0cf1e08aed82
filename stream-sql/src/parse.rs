//! Parsing: SQL text into `sqlparser` statements, with the two pieces of Flink's syntax no
//! `sqlparser` dialect accepts taken care of on the tokens first, so every location the
//! parser reports is still the one in the user's text.
//!
//! The dialect is `GenericDialect`, which accepts Flink's expressions, `CREATE TABLE ...
//! WITH ('k' = 'v')`, `INTERVAL '5' SECOND`, `TABLE(TUMBLE(...))` and backquoted
//! identifiers. The two rewrites:
//! - `WATERMARK FOR ts AS <expr>` inside `CREATE TABLE`'s column list is taken out and
//!   parsed on its own ([`Parsed::watermark`]), and so is a processing-time column
//!   `name AS PROCTIME()` ([`Parsed::proctime`]);
//! - `TABLE name` as a function argument (the window TVFs' `TABLE t`) becomes `name`; the
//!   planner reads the TVF's first argument as a table;
//! - `name FOR SYSTEM_TIME AS OF expr` in `FROM` (a temporal join) is taken out, parsed on
//!   its own, and put back into the parsed table reference's `version`, which
//!   `GenericDialect` does not parse but the syntax tree has.

use std::ops::ControlFlow;

use sqlparser::ast::{
    Expr, Ident, Spanned, Statement, TableFactor, TableVersion, VisitMut, VisitorMut,
};
use sqlparser::dialect::GenericDialect;
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Location, Span, Token, TokenWithSpan, Tokenizer};

use crate::error::SqlError;

/// How deep expressions may nest (the parser's own limit, which also bounds the planner's
/// recursion over them).
const MAX_NESTING: usize = 64;

/// One parsed statement.
#[derive(Debug)]
pub(crate) struct Parsed {
    /// The statement.
    pub statement: Statement,
    /// The `WATERMARK FOR` clause of a `CREATE TABLE`.
    pub watermark: Option<WatermarkClause>,
    /// The computed column `name AS PROCTIME()` of a `CREATE TABLE`: its name.
    pub proctime: Option<Ident>,
    /// Where the statement starts.
    pub start: Location,
}

/// `WATERMARK FOR column AS expr`.
#[derive(Debug)]
pub(crate) struct WatermarkClause {
    /// The time attribute.
    pub column: Ident,
    /// The watermark expression.
    pub expr: Expr,
    /// Where the clause starts.
    pub span: Span,
}

/// The stack the parser runs on: `sqlparser` recurses per nesting level with large frames
/// (tens of KiB in a debug build), more than a 2 MiB thread can take at the nesting limit.
const PARSER_STACK: usize = 64 << 20;

/// Parses a script: statements separated by `;`. The parser runs on a thread of its own
/// with a large stack, so deep nesting is an error and never a stack overflow, whatever
/// the caller's stack.
pub(crate) fn parse_script(sql: &str) -> Result<Vec<Parsed>, SqlError> {
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("strom-sql-parser".into())
            .stack_size(PARSER_STACK)
            .spawn_scoped(scope, || parse_on_this_thread(sql))
            .map_err(|e| {
                SqlError::new(
                    Location { line: 1, column: 1 },
                    format!("cannot start the parser: {e}"),
                )
            })?
            .join()
            .unwrap_or_else(|_| {
                Err(SqlError::new(
                    Location { line: 1, column: 1 },
                    "internal error: the parser panicked",
                ))
            })
    })
}

fn parse_on_this_thread(sql: &str) -> Result<Vec<Parsed>, SqlError> {
    let dialect = GenericDialect {};
    let tokens = Tokenizer::new(&dialect, sql)
        .tokenize_with_location()
        .map_err(|e| {
            let mut message = e.message;
            if let Some(first) = message.get(..1) {
                message = first.to_lowercase() + &message[1..];
            }
            SqlError::new(e.location, format!("syntax error: {message}"))
                .help("check quotes: strings are 'single-quoted', names may be `backquoted`")
        })?;
    split_statements(tokens)
        .into_iter()
        .map(parse_statement)
        .collect()
}

/// The tokens of each statement (without the `;`), skipping empty ones.
fn split_statements(tokens: Vec<TokenWithSpan>) -> Vec<Vec<TokenWithSpan>> {
    let mut statements = vec![Vec::new()];
    let mut depth = 0i32;
    for t in tokens {
        match t.token {
            Token::LParen => depth += 1,
            Token::RParen => depth -= 1,
            Token::SemiColon if depth <= 0 => {
                statements.push(Vec::new());
                continue;
            }
            Token::EOF => continue,
            _ => {}
        }
        statements.last_mut().expect("one at least").push(t);
    }
    statements
        .into_iter()
        .filter(|s| s.iter().any(|t| !is_blank(&t.token)))
        .collect()
}

fn is_blank(t: &Token) -> bool {
    matches!(t, Token::Whitespace(_))
}

fn is_word(t: &Token, word: &str) -> bool {
    matches!(t, Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(word))
}

fn parse_statement(mut tokens: Vec<TokenWithSpan>) -> Result<Parsed, SqlError> {
    let start = tokens
        .iter()
        .find(|t| !is_blank(&t.token))
        .map(|t| t.span.start)
        .unwrap_or(Location { line: 1, column: 1 });
    let watermark = take_watermark(&mut tokens)?;
    let proctime = take_proctime_column(&mut tokens)?;
    unwrap_table_arguments(&mut tokens);
    let versions = take_system_times(&mut tokens)?;
    let mut statement = with_parser_from(tokens, start, |p| p.parse_statement()).map_err(|e| {
        if e.message.contains("after column definition") {
            e.help(
                "columns are declared `name TYPE`; computed columns (`name AS expr`) other \
                 than `name AS PROCTIME()`, and METADATA columns, are not supported yet",
            )
        } else {
            e
        }
    })?;
    put_system_times(&mut statement, versions)?;
    Ok(Parsed {
        statement,
        watermark,
        proctime,
        start,
    })
}

/// Runs `f` over `tokens` and requires it to consume all of them.
fn with_parser<T>(
    tokens: Vec<TokenWithSpan>,
    f: impl FnOnce(&mut Parser<'_>) -> Result<T, ParserError>,
) -> Result<T, SqlError> {
    let start = tokens
        .first()
        .map(|t| t.span.start)
        .unwrap_or(Location { line: 1, column: 1 });
    with_parser_from(tokens, start, f)
}

/// [`with_parser`] for the tokens of a statement starting at `start` (where errors without
/// a location of their own are reported).
fn with_parser_from<T>(
    mut tokens: Vec<TokenWithSpan>,
    start: Location,
    f: impl FnOnce(&mut Parser<'_>) -> Result<T, ParserError>,
) -> Result<T, SqlError> {
    let end = tokens
        .last()
        .map(|t| t.span.end)
        .unwrap_or(Location { line: 1, column: 1 });
    tokens.push(TokenWithSpan::new(Token::EOF, Span::new(end, end)));
    let dialect = GenericDialect {};
    let mut parser = Parser::new(&dialect)
        .with_recursion_limit(MAX_NESTING)
        .with_tokens_with_locations(tokens);
    let result = f(&mut parser).map_err(|e| parser_error(e, start))?;
    let next = parser.peek_token();
    if next.token != Token::EOF {
        return Err(SqlError::at(
            next.span,
            format!("unexpected `{}` after the end of the statement", next.token),
        )
        .help("separate statements with `;`"));
    }
    Ok(result)
}

/// A parser error as a located [`SqlError`]: `sqlparser` writes the location into its
/// message (`... at Line: 1, Column: 5`).
fn parser_error(e: ParserError, fallback: Location) -> SqlError {
    let message = match e {
        ParserError::RecursionLimitExceeded => {
            return SqlError::new(
                fallback,
                format!("the statement nests more than {MAX_NESTING} levels deep"),
            )
            .help("split the expression, e.g. into a view")
        }
        ParserError::TokenizerError(m) | ParserError::ParserError(m) => m,
    };
    let (text, at) = match message.rfind(" at Line: ") {
        Some(i) => {
            let location = &message[i + " at Line: ".len()..];
            let mut parts = location.split(", Column: ");
            let line = parts.next().and_then(|l| l.trim().parse().ok());
            let column = parts.next().and_then(|c| c.trim().parse().ok());
            match (line, column) {
                (Some(line), Some(column)) => (message[..i].to_string(), Location { line, column }),
                _ => (message.clone(), fallback),
            }
        }
        None => (message.clone(), fallback),
    };
    let text = text.replace("Expected: ", "expected ");
    SqlError::new(at, format!("syntax error: {text}"))
        .help("see docs/architecture.md, \"Table / SQL\", for the statements accepted")
}

/// Takes `WATERMARK FOR col AS expr` out of a `CREATE TABLE`'s column list, with the comma
/// that separated it from its neighbour.
fn take_watermark(tokens: &mut Vec<TokenWithSpan>) -> Result<Option<WatermarkClause>, SqlError> {
    let words = words(tokens);
    if !is_create_table(tokens, &words) {
        return Ok(None);
    }
    // Find WATERMARK FOR at depth 1 (inside the column list).
    let mut depth = 0;
    let mut found = None;
    for (n, &i) in words.iter().enumerate() {
        match tokens[i].token {
            Token::LParen => depth += 1,
            Token::RParen => depth -= 1,
            _ if depth == 1
                && is_word(&tokens[i].token, "WATERMARK")
                && words.get(n + 1).is_some_and(
                    |&j| matches!(&tokens[j].token, Token::Word(w) if w.keyword == Keyword::FOR),
                ) =>
            {
                found = Some(n);
                break;
            }
            _ => {}
        }
    }
    let Some(n) = found else { return Ok(None) };
    // The clause runs to the `,` or `)` that ends it at depth 1.
    let mut depth = 0;
    let mut end = words.len();
    for (m, &i) in words.iter().enumerate().skip(n) {
        match tokens[i].token {
            Token::LParen => depth += 1,
            Token::RParen if depth == 0 => {
                end = m;
                break;
            }
            Token::RParen => depth -= 1,
            Token::Comma if depth == 0 => {
                end = m;
                break;
            }
            _ => {}
        }
    }
    let span = tokens[words[n]].span;
    if end >= words.len() {
        return Err(SqlError::at(span, "the WATERMARK clause is not closed")
            .help("write `WATERMARK FOR ts AS ts - INTERVAL '5' SECOND` inside the column list"));
    }
    // WATERMARK FOR <column> AS <expr...>
    let clause: Vec<usize> = words[n..end].to_vec();
    let column = match clause.get(2).map(|&i| &tokens[i].token) {
        Some(Token::Word(w)) => {
            let mut ident = Ident::with_span(tokens[clause[2]].span, w.value.clone());
            ident.quote_style = w.quote_style;
            ident
        }
        _ => {
            return Err(
                SqlError::at(span, "expected a column name after `WATERMARK FOR`")
                    .help("write `WATERMARK FOR ts AS ts - INTERVAL '5' SECOND`"),
            )
        }
    };
    if !clause
        .get(3)
        .is_some_and(|&i| matches!(&tokens[i].token, Token::Word(w) if w.keyword == Keyword::AS))
    {
        let at = clause.get(3).map(|&i| tokens[i].span).unwrap_or(span);
        return Err(SqlError::at(at, "expected `AS` in the WATERMARK clause")
            .help("write `WATERMARK FOR ts AS ts - INTERVAL '5' SECOND`"));
    }
    let first = clause.get(4).copied();
    let Some(first) = first else {
        return Err(SqlError::at(
            span,
            "expected an expression after `AS` in the WATERMARK clause",
        )
        .help("write `WATERMARK FOR ts AS ts - INTERVAL '5' SECOND`"));
    };
    let expr_tokens: Vec<TokenWithSpan> = tokens[first..words[end]].to_vec();
    let expr = with_parser(expr_tokens, |p| p.parse_expr())?;
    remove_list_item(tokens, &words, n, end);
    Ok(Some(WatermarkClause { column, expr, span }))
}

/// Takes the computed column `name AS PROCTIME()` out of a `CREATE TABLE`'s column list,
/// with the comma that separated it from its neighbour. Other computed columns stay, for
/// the parser to refuse; a second `PROCTIME()` column is an error.
fn take_proctime_column(tokens: &mut Vec<TokenWithSpan>) -> Result<Option<Ident>, SqlError> {
    let Some(first) = take_one_proctime_column(tokens) else {
        return Ok(None);
    };
    if let Some(second) = take_one_proctime_column(tokens) {
        return Err(SqlError::at(
            second.span,
            format!("a second PROCTIME() column `{}`", second.value),
        )
        .help(format!(
            "a table has one processing-time column: use `{}`",
            first.value
        )));
    }
    Ok(Some(first))
}

/// Takes the first `name AS PROCTIME()` out of a `CREATE TABLE`'s column list.
fn take_one_proctime_column(tokens: &mut Vec<TokenWithSpan>) -> Option<Ident> {
    let words = words(tokens);
    if !is_create_table(tokens, &words) {
        return None;
    }
    let token = |n: usize| words.get(n).map(|&i| &tokens[i].token);
    let mut depth = 0;
    for n in 0..words.len() {
        match token(n)? {
            Token::LParen => depth += 1,
            Token::RParen => depth -= 1,
            _ => {}
        }
        // After `(` or `,` in the column list: name AS PROCTIME ( ) followed by `,` or `)`.
        let starts_item = depth == 1 && matches!(token(n)?, Token::LParen | Token::Comma);
        if !starts_item {
            continue;
        }
        let Some(Token::Word(name)) = token(n + 1) else {
            continue;
        };
        let matched = matches!(token(n + 2), Some(Token::Word(w)) if w.keyword == Keyword::AS)
            && token(n + 3).is_some_and(|t| is_word(t, "PROCTIME"))
            && matches!(token(n + 4), Some(Token::LParen))
            && matches!(token(n + 5), Some(Token::RParen))
            && matches!(token(n + 6), Some(Token::Comma | Token::RParen));
        if matched {
            let mut ident = Ident::with_span(tokens[words[n + 1]].span, name.value.clone());
            ident.quote_style = name.quote_style;
            remove_list_item(tokens, &words, n + 1, n + 6);
            return Some(ident);
        }
    }
    None
}

/// The positions of the tokens that are not blank.
fn words(tokens: &[TokenWithSpan]) -> Vec<usize> {
    (0..tokens.len())
        .filter(|&i| !is_blank(&tokens[i].token))
        .collect()
}

/// `FOR SYSTEM_TIME AS OF expr` taken out after a table name: where the name ends, the
/// expression, and where the clause starts.
struct SystemTime {
    after: Location,
    expr: Expr,
    span: Span,
}

/// Takes every `FOR SYSTEM_TIME AS OF expr` out of the tokens. The expression is a column
/// (`o.order_time`) or a call (`PROCTIME()`): a dotted name and an optional argument list.
fn take_system_times(tokens: &mut Vec<TokenWithSpan>) -> Result<Vec<SystemTime>, SqlError> {
    let mut found = Vec::new();
    loop {
        let words = words(tokens);
        let keyword = |n: usize, k: Keyword| {
            words
                .get(n)
                .is_some_and(|&i| matches!(&tokens[i].token, Token::Word(w) if w.keyword == k))
        };
        let Some(n) = (1..words.len()).find(|&n| {
            keyword(n, Keyword::FOR)
                && keyword(n + 1, Keyword::SYSTEM_TIME)
                && keyword(n + 2, Keyword::AS)
                && keyword(n + 3, Keyword::OF)
        }) else {
            return Ok(found);
        };
        let span = tokens[words[n]].span;
        let usage =
            "write `FROM orders AS o JOIN rates FOR SYSTEM_TIME AS OF o.order_time AS r ON ..`";
        let Token::Word(_) = tokens[words[n - 1]].token else {
            return Err(
                SqlError::at(span, "FOR SYSTEM_TIME AS OF follows a table's name").help(usage),
            );
        };
        // The expression: name(.name)* and, for a call, its parenthesized arguments.
        let first = n + 4;
        let mut last = first;
        if !matches!(
            words.get(first).map(|&i| &tokens[i].token),
            Some(Token::Word(_))
        ) {
            return Err(
                SqlError::at(span, "expected a time column after FOR SYSTEM_TIME AS OF")
                    .help(usage),
            );
        }
        while matches!(
            words.get(last + 1).map(|&i| &tokens[i].token),
            Some(Token::Period)
        ) && matches!(
            words.get(last + 2).map(|&i| &tokens[i].token),
            Some(Token::Word(_))
        ) {
            last += 2;
        }
        if matches!(
            words.get(last + 1).map(|&i| &tokens[i].token),
            Some(Token::LParen)
        ) {
            let mut depth = 0;
            for (m, &i) in words.iter().enumerate().skip(last + 1) {
                match tokens[i].token {
                    Token::LParen => depth += 1,
                    Token::RParen => depth -= 1,
                    _ => {}
                }
                if depth == 0 {
                    last = m;
                    break;
                }
            }
        }
        // What follows is an alias, `ON`, or the end of a join: an operator or a literal
        // there means a computed time, which a temporal join does not take.
        if let Some(&i) = words.get(last + 1) {
            if !matches!(
                tokens[i].token,
                Token::Word(_) | Token::Comma | Token::RParen | Token::SemiColon
            ) {
                return Err(SqlError::at(
                    tokens[i].span,
                    "FOR SYSTEM_TIME AS OF takes the left input's time column",
                )
                .help(usage));
            }
        }
        let expr = with_parser(tokens[words[first]..=words[last]].to_vec(), |p| {
            p.parse_expr()
        })?;
        found.push(SystemTime {
            after: tokens[words[n - 1]].span.end,
            expr,
            span,
        });
        tokens.drain(words[n]..=words[last]);
    }
}

/// Puts each taken `FOR SYSTEM_TIME AS OF` back as the `version` of the table reference
/// whose name ends where the clause stood; one after anything else is an error.
fn put_system_times(statement: &mut Statement, mut times: Vec<SystemTime>) -> Result<(), SqlError> {
    struct Put<'a>(&'a mut Vec<SystemTime>);
    impl VisitorMut for Put<'_> {
        type Break = ();
        fn pre_visit_table_factor(&mut self, factor: &mut TableFactor) -> ControlFlow<()> {
            if let TableFactor::Table { name, version, .. } = factor {
                let end = name.span().end;
                if let Some(i) = self.0.iter().position(|t| t.after == end) {
                    let time = self.0.remove(i);
                    *version = Some(TableVersion::ForSystemTimeAsOf(time.expr));
                }
            }
            ControlFlow::Continue(())
        }
    }
    if !times.is_empty() {
        let _ = statement.visit(&mut Put(&mut times));
    }
    match times.first() {
        None => Ok(()),
        Some(t) => Err(SqlError::at(
            t.span,
            "FOR SYSTEM_TIME AS OF follows a table's name in FROM",
        )
        .help("write `FROM orders AS o JOIN rates FOR SYSTEM_TIME AS OF o.order_time AS r ON ..`")),
    }
}

/// True if the statement is a `CREATE [TEMPORARY] TABLE`.
fn is_create_table(tokens: &[TokenWithSpan], words: &[usize]) -> bool {
    words.len() > 2
        && is_word(&tokens[words[0]].token, "CREATE")
        && (is_word(&tokens[words[1]].token, "TABLE")
            || (is_word(&tokens[words[1]].token, "TEMPORARY")
                && is_word(&tokens[words[2]].token, "TABLE")))
}

/// Removes the column-list item from word `first` up to word `end` (the `,` or `)` after
/// it), and one comma next to it.
fn remove_list_item(tokens: &mut Vec<TokenWithSpan>, words: &[usize], first: usize, end: usize) {
    let (from, to) = if matches!(tokens[words[end]].token, Token::Comma) {
        (words[first], words[end] + 1)
    } else {
        // The last item: remove the comma before it.
        let comma_before = first
            .checked_sub(1)
            .map(|m| words[m])
            .filter(|&i| matches!(tokens[i].token, Token::Comma));
        (comma_before.unwrap_or(words[first]), words[end])
    };
    tokens.drain(from..to);
}

/// `f(TABLE t, ...)` into `f(t, ...)`: drops the keyword `TABLE` where it starts a function
/// argument.
fn unwrap_table_arguments(tokens: &mut Vec<TokenWithSpan>) {
    let mut i = 0;
    let mut previous: Option<Token> = None;
    while i < tokens.len() {
        let t = &tokens[i].token;
        if is_blank(t) {
            i += 1;
            continue;
        }
        let starts_argument = matches!(
            previous,
            Some(Token::LParen) | Some(Token::Comma) | Some(Token::RArrow)
        );
        let next_is_name = tokens[i + 1..]
            .iter()
            .find(|t| !is_blank(&t.token))
            .is_some_and(|t| matches!(t.token, Token::Word(_)));
        if starts_argument
            && matches!(t, Token::Word(w) if w.keyword == Keyword::TABLE)
            && next_is_name
        {
            tokens.remove(i);
            continue;
        }
        previous = Some(t.clone());
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proctime_column_is_taken_out_wherever_it_is_declared() {
        for columns in [
            "p AS PROCTIME(), a BIGINT",
            "a BIGINT, p AS PROCTIME()",
            "a BIGINT, p AS proctime ( ), WATERMARK FOR ts AS ts, ts TIMESTAMP(3)",
        ] {
            let sql = format!("CREATE TABLE t ({columns}) WITH ('connector' = 'blackhole')");
            let parsed = parse_script(&sql).unwrap();
            assert_eq!(parsed[0].proctime.as_ref().unwrap().value, "p", "{columns}");
            let Statement::CreateTable(ct) = &parsed[0].statement else {
                panic!("{columns}")
            };
            assert!(ct.columns.iter().all(|c| c.name.value != "p"), "{columns}");
        }
        let err = parse_script(
            "CREATE TABLE t (a BIGINT, p AS PROCTIME(), q AS PROCTIME()) WITH ('connector' = 'blackhole')",
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("a second PROCTIME() column `q`"),
            "{err}"
        );
        // Other computed columns are left for the parser to refuse.
        let err =
            parse_script("CREATE TABLE t (a BIGINT, b AS a + 1) WITH ('connector' = 'blackhole')")
                .unwrap_err();
        assert!(err.to_string().contains("PROCTIME()"), "{err}");
    }

    #[test]
    fn watermark_clause_is_taken_out() {
        let parsed = parse_script(
            "CREATE TABLE t (a BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) WITH ('connector' = 'blackhole')",
        )
        .unwrap();
        let w = parsed[0].watermark.as_ref().unwrap();
        assert_eq!(w.column.value, "ts");
        assert_eq!(w.expr.to_string(), "ts - INTERVAL '5' SECOND");
        assert_eq!((w.span.start.line, w.span.start.column), (1, 44));
        let parsed = parse_script(
            "CREATE TABLE t (WATERMARK FOR ts AS ts, ts TIMESTAMP(3)) WITH ('connector' = 'blackhole'); SELECT 1",
        )
        .unwrap();
        assert_eq!(parsed.len(), 2);
        assert!(parsed[0].watermark.is_some());
    }

    #[test]
    fn table_arguments_are_unwrapped() {
        let parsed = parse_script(
            "SELECT * FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '10' SECOND))",
        )
        .unwrap();
        assert!(parsed[0]
            .statement
            .to_string()
            .contains("TUMBLE(bids, DESCRIPTOR(ts)"));
    }

    #[test]
    fn errors_carry_the_location() {
        let e = parse_script("SELECT a\nFROM t WHERE").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.starts_with("syntax error"), "{e}");
        let e = parse_script("SELECT 'abc").unwrap_err();
        assert_eq!((e.line, e.column), (1, 8), "{e}");
        let deep = format!("SELECT {}1{}", "(".repeat(200), ")".repeat(200));
        let e = parse_script(&deep).unwrap_err();
        assert!(e.message.contains("nests more than"), "{e}");
    }
}
