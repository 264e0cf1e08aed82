//! Splitting SQL text into statements at `;`, outside string literals, quoted names and
//! comments, so the client can run a script one statement at a time and know when a
//! statement typed over several lines is complete.

/// One statement of a script: its text (without the `;`) and where it starts.
#[derive(Debug, PartialEq, Eq)]
pub struct Statement {
    /// The text, trimmed.
    pub text: String,
    /// The line of its first character in the script, from 1.
    pub line: u64,
    /// The column of its first character, from 1.
    pub column: u64,
}

/// The state of the scanner between characters.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scan {
    Code,
    /// Inside a literal or quoted name closed by this character.
    Quoted(char),
    LineComment,
    BlockComment,
}

/// The complete statements of `text`, and the rest after the last `;` (an unfinished
/// statement, or only blanks and comments).
pub fn split(text: &str) -> (Vec<Statement>, String) {
    let mut statements = Vec::new();
    let mut scan = Scan::Code;
    let mut current = String::new();
    let (mut line, mut column) = (1u64, 1u64);
    // Where the current statement's first non-blank character is.
    let mut start: Option<(u64, u64)> = None;
    let mut has_code = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let here = (line, column);
        if c == '\n' {
            line += 1;
            column = 1;
        } else {
            column += 1;
        }
        match scan {
            Scan::Code => match c {
                ';' => {
                    if has_code {
                        let (line, column) = start.unwrap_or(here);
                        statements.push(Statement {
                            text: current.trim().to_string(),
                            line,
                            column,
                        });
                    }
                    current.clear();
                    start = None;
                    has_code = false;
                    continue;
                }
                '\'' | '"' | '`' => scan = Scan::Quoted(c),
                '-' if chars.peek() == Some(&'-') => scan = Scan::LineComment,
                '/' if chars.peek() == Some(&'*') => scan = Scan::BlockComment,
                _ => {}
            },
            Scan::Quoted(q) if c == q => scan = Scan::Code,
            Scan::LineComment if c == '\n' => scan = Scan::Code,
            Scan::BlockComment if c == '*' && chars.peek() == Some(&'/') => {
                current.push(c);
                current.push(chars.next().unwrap_or('/'));
                column += 1;
                scan = Scan::Code;
                continue;
            }
            _ => {}
        }
        if !c.is_whitespace() && start.is_none() {
            start = Some(here);
        }
        if matches!(scan, Scan::Code | Scan::Quoted(_)) && !c.is_whitespace() {
            has_code = true;
        }
        current.push(c);
    }
    let rest = if has_code { current } else { String::new() };
    (statements, rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(text: &str) -> (Vec<String>, String) {
        let (statements, rest) = split(text);
        (statements.into_iter().map(|s| s.text).collect(), rest)
    }

    #[test]
    fn statements_end_at_semicolons_outside_quotes_and_comments() {
        let (statements, rest) =
            texts("SELECT 'a;b' FROM t; -- one; two\nSELECT `x;y` /* ; */ FROM u;\n  SELECT 1");
        assert_eq!(
            statements,
            [
                "SELECT 'a;b' FROM t",
                "-- one; two\nSELECT `x;y` /* ; */ FROM u"
            ]
        );
        assert_eq!(rest.trim(), "SELECT 1");
        let (statements, rest) = texts("-- only a comment;\n;;  ");
        assert!(statements.is_empty(), "{statements:?}");
        assert_eq!(rest, "");
    }

    #[test]
    fn statements_know_where_they_start() {
        let (statements, _) = split("CREATE TABLE a (x BIGINT);\n\n  SELECT\n x FROM a;");
        assert_eq!((statements[0].line, statements[0].column), (1, 1));
        assert_eq!((statements[1].line, statements[1].column), (3, 3));
    }
}
