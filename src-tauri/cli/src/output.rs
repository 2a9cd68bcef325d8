//! Printing: one JSON document with `--json`, text otherwise. Every line goes through [`line`]:
//! a reader that goes away (`consent-trail … | head`) ends the program quietly instead of a
//! panic on the broken pipe.

use std::io::Write;

use serde::Serialize;

/// Prints a line on stdout (the `out!` macro); a closed pipe ends the program with exit 0.
pub fn line(args: std::fmt::Arguments<'_>) {
    let mut stdout = std::io::stdout().lock();
    let written = stdout.write_fmt(args).and_then(|()| stdout.write_all(b"\n"));
    if let Err(e) = written {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("consent-trail: cannot write the output: {e}");
        std::process::exit(1);
    }
}

/// `println!` that ends quietly on a broken pipe (see [`line`]).
#[macro_export]
macro_rules! out {
    () => {
        $crate::output::line(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::output::line(format_args!($($arg)*))
    };
}

/// Prints `value` as pretty JSON.
pub fn json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    line(format_args!("{}", serde_json::to_string_pretty(value)?));
    Ok(())
}
