//! The interactive prompt: lines are read with editing and history (rustyline) until they
//! hold a complete statement (up to a `;` outside quotes and comments), which then runs.
//! A failed statement prints its error and the prompt goes on; `QUIT;` or Ctrl-D ends it.

use rustyline::error::ReadlineError;
use rustyline::DefaultEditor;

use super::split::split;
use super::{Client, Failure, Flow};

/// Where the history is kept between sessions: `$HOME/.strom_sql_history`.
fn history_file() -> Option<std::path::PathBuf> {
    std::env::var_os("HOME").map(|home| std::path::Path::new(&home).join(".strom_sql_history"))
}

/// Reads and runs statements until `QUIT;` or the end of the input.
pub fn interactive(client: &mut Client) -> Result<(), Failure> {
    let mut editor =
        DefaultEditor::new().map_err(|e| Failure::Io(format!("cannot open the terminal: {e}")))?;
    let history = history_file();
    if let Some(path) = &history {
        // No history yet is not an error.
        let _ = editor.load_history(path);
    }
    println!("Strom SQL: statements end with `;`. HELP; lists what there is, QUIT; leaves.");
    // What was typed since the last complete statement: errors are placed in it.
    let mut buffer = String::new();
    let outcome = loop {
        let prompt = if buffer.is_empty() {
            "Strom SQL> "
        } else {
            "> "
        };
        let line = match editor.readline(prompt) {
            Ok(line) => line,
            // Ctrl-C at the prompt drops what was typed, as in a shell.
            Err(ReadlineError::Interrupted) => {
                buffer.clear();
                continue;
            }
            Err(ReadlineError::Eof) => break Ok(()),
            Err(e) => break Err(Failure::Io(format!("cannot read the terminal: {e}"))),
        };
        if !buffer.is_empty() {
            buffer.push('\n');
        }
        buffer.push_str(&line);
        let (statements, rest) = split(&buffer);
        let mut quit = false;
        for statement in statements {
            let _ = editor.add_history_entry(format!("{};", statement.text));
            match client.statement(&statement) {
                Ok(Flow::Quit) => {
                    quit = true;
                    break;
                }
                // The error was printed; the prompt goes on.
                Ok(Flow::Continue) | Err(Failure::Statement) => {}
                Err(io) => return Err(io),
            }
        }
        if quit {
            break Ok(());
        }
        buffer = rest.trim_start().to_string();
    };
    if let Some(path) = &history {
        let _ = editor.save_history(path);
    }
    outcome
}
