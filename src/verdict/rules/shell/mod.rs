//! A small reader of POSIX shell command text: which command of `sh -c STRING` (or of a wrapper
//! script's last line) starts the service, or why that cannot be known without running it.

/// The command a shell string ends up running as the service.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Service {
    /// Its words, quotes removed and `"$@"` / `$1` replaced by the arguments; `argv[0]` is
    /// the command as written (a path or a name to search on `path`).
    pub argv: Vec<String>,
    /// Run through `exec` (the shell replaces itself), which changes the shell's error line.
    pub exec: bool,
    /// 1-based line of the command in the text.
    pub line: u32,
    /// The PATH the shell searches: the one it was started with, or what the text set.
    pub path: String,
    /// The directory the text `cd`ed to, if it did.
    pub cwd: Option<String>,
}

mod errors;
mod lex;

pub(super) use errors::{Failure, Flavour};
use lex::{Tok, Word, tokenize};

/// The shell words of a command line and its options: `-c STRING` and what follows. Returns
/// the string, `$0` and the positional arguments, or `None` when the shell reads no `-c`.
pub(super) fn dash_c(args: &[String]) -> Option<(&str, Option<&str>, &[String])> {
    let mut i = 0;
    let mut c = false;
    while let Some(a) = args.get(i) {
        if a == "--" {
            i += 1;
            break;
        }
        if a == "-o" || a == "+o" {
            i += 2;
            continue;
        }
        let Some(flags) = a.strip_prefix('-').or_else(|| a.strip_prefix('+')) else {
            break;
        };
        if flags.starts_with('-') {
            // bash's long options (`--login`, `--norc`) take no value.
            i += 1;
            continue;
        }
        c |= a.starts_with('-') && flags.contains('c');
        i += 1;
    }
    if !c {
        return None;
    }
    let text = args.get(i)?;
    let zero = args.get(i + 1).map(String::as_str);
    Some((text, zero, args.get(i + 2..).unwrap_or_default()))
}

/// One simple command and how it is joined to the one before it.
#[derive(Debug)]
struct Simple {
    /// The operator before it (`;` for the first).
    after: &'static str,
    /// Ended by `&`: runs in the background.
    background: bool,
    assigns: Vec<(String, Word)>,
    words: Vec<Word>,
    line: u32,
}

/// Shell words that open compound commands: archlens does not evaluate control flow.
const RESERVED: &[&str] = &[
    "if", "then", "else", "elif", "fi", "do", "done", "case", "esac", "while", "until", "for", "{",
    "}", "!", "function", "select", "[[",
];

/// Builtins that are never the service: setting up, or ending the shell.
const BUILTINS: &[&str] = &[
    "set", "export", "cd", "umask", "ulimit", "trap", "unset", "shift", "wait", "exit", "true",
    "false", ":", "echo", "printf", "read", "readonly", "local", "return", "test", "[", "alias",
];

fn commands(toks: Vec<Tok>) -> Result<Vec<Simple>, String> {
    let mut out: Vec<Simple> = Vec::new();
    let mut cur: Option<Simple> = None;
    let mut after = ";";
    let mut toks = toks.into_iter();
    while let Some(t) = toks.next() {
        match t {
            Tok::Op("(" | ")", _) => return Err("a subshell or function definition".into()),
            Tok::Op(op, _) => {
                if let Some(mut c) = cur.take() {
                    c.background = op == "&";
                    out.push(c);
                } else if op != "\n" && op != ";" {
                    return Err(format!("a `{op}` with no command before it"));
                }
                after = if op == "\n" || op == "&" { ";" } else { op };
            }
            Tok::Redirect => {
                // The target is a file name, not a command word.
                toks.next();
            }
            Tok::Word(w, line) => {
                let c = cur.get_or_insert_with(|| Simple {
                    after,
                    background: false,
                    assigns: Vec::new(),
                    words: Vec::new(),
                    line,
                });
                if c.words.is_empty()
                    && let Some((name, value)) = assignment(&w)
                {
                    c.assigns.push((name, value));
                    continue;
                }
                if c.words.is_empty()
                    && let Word::Lit(s) = &w
                    && RESERVED.contains(&s.as_str())
                {
                    return Err(format!("shell control flow (`{s}`)"));
                }
                c.words.push(w);
            }
        }
    }
    out.extend(cur);
    Ok(out)
}

/// `NAME=value` as a word: the name and the value as its own word.
fn assignment(w: &Word) -> Option<(String, Word)> {
    let (Word::Lit(s) | Word::Dynamic(s)) = w else {
        return None;
    };
    let (name, value) = s.split_once('=')?;
    let ok = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !ok {
        return None;
    }
    let value = match w {
        Word::Lit(_) => Word::Lit(value.to_string()),
        _ => Word::Dynamic(value.trim_matches('"').to_string()),
    };
    Some((name.to_string(), value))
}

/// The shell's state as the text runs, as far as it can be known.
struct State {
    args: Vec<String>,
    /// `None` once PATH was set to something only known at run time.
    path: Option<String>,
    /// `Some(None)` once `cd` went somewhere only known at run time.
    cwd: Option<Option<String>>,
    /// A file read by `.` / `source`: it could change PATH or define functions.
    sourced: Option<String>,
}

impl State {
    /// The value of an assignment to PATH, with `$PATH` filled in.
    fn path_value(&self, w: &Word) -> Option<String> {
        match w {
            Word::Lit(s) => Some(s.clone()),
            Word::Dynamic(s) => {
                let cur = self.path.as_deref()?;
                let v = s.replace("${PATH}", cur).replace("$PATH", cur);
                (!v.contains(['$', '`'])).then_some(v)
            }
            _ => None,
        }
    }

    fn expand(&self, words: &[Word]) -> Result<Vec<String>, String> {
        let mut out = Vec::new();
        for w in words {
            match w {
                Word::Lit(s) => out.push(s.clone()),
                Word::AllArgs => out.extend(self.args.iter().cloned()),
                Word::Arg(n) => out.push(self.args.get(n - 1).cloned().unwrap_or_default()),
                Word::Dynamic(s) if out.is_empty() => {
                    return Err(format!(
                        "the command is `{s}`, a value known only when the shell runs"
                    ));
                }
                Word::Dynamic(s) => out.push(s.clone()),
            }
        }
        Ok(out)
    }
}

/// Finds the command that starts the service in `text`, a shell's `-c` string or a
/// script's last command line starting at `first_line`. `args` are `$1...`, `path` the
/// PATH the shell starts with.
///
/// The service is the first command run with `exec` (nothing after it runs), else the last
/// command in the foreground: the shell waits for it and the container lives as long as it
/// does. Of a pipeline the last command is taken, as the shell's exit status is its; of
/// `a && b` the last, of `a || b` the first (`|| b` runs only when the service failed).
/// Commands before it are set-up; `cd`, `PATH=` and `set --` are followed. Variables in the
/// command word, `eval`, sourced files before a bare name, control flow and functions are
/// reported as unknown with the reason.
pub(super) fn service(
    text: &str,
    first_line: u32,
    args: &[String],
    path: &str,
) -> Result<Service, String> {
    let cmds = commands(tokenize(text)?)?;
    let mut st = State {
        args: args.to_vec(),
        path: Some(path.to_string()),
        cwd: None,
        sourced: None,
    };
    let mut chosen: Option<(&Simple, Vec<String>, bool)> = None;
    let mut builtin = None;
    for (i, c) in cmds.iter().enumerate() {
        if c.words.is_empty() {
            for (name, value) in &c.assigns {
                if name == "PATH" {
                    st.path = st.path_value(value);
                }
            }
            continue;
        }
        let (exec, words) = match &c.words[0] {
            Word::Lit(w) if w == "exec" => (true, exec_operands(&c.words[1..])),
            _ => (false, &c.words[..]),
        };
        if words.is_empty() {
            // `exec >log 2>&1`: only redirects the shell's own output.
            continue;
        }
        let argv = st.expand(words)?;
        let name = argv.first().map_or("", String::as_str);
        match name {
            "eval" => return Err("`eval` builds the command at run time".into()),
            "." | "source" => {
                st.sourced = Some(argv.get(1).cloned().unwrap_or_default());
                continue;
            }
            "set" if argv.get(1).map(String::as_str) == Some("--") => {
                st.args = argv[2..].to_vec();
            }
            "shift" => {
                let n = argv.get(1).and_then(|n| n.parse().ok()).unwrap_or(1);
                st.args.drain(..n.min(st.args.len()));
            }
            "cd" => {
                st.cwd = Some(match (argv.get(1), &words.get(1)) {
                    (Some(d), Some(Word::Lit(_))) if d.starts_with('/') => Some(d.clone()),
                    _ => None,
                });
            }
            "export" => {
                for w in &words[1..] {
                    if let Some(("PATH", v)) = assignment(w).as_ref().map(|(n, v)| (n.as_str(), v))
                    {
                        st.path = st.path_value(v);
                    }
                }
            }
            _ => {}
        }
        let fallback = c.after == "||";
        if BUILTINS.contains(&name) {
            builtin = Some(name.to_string());
            continue;
        }
        if exec && !fallback && !c.background {
            chosen = Some((c, argv, true));
            break;
        }
        let pipes_on = cmds.get(i + 1).is_some_and(|n| n.after == "|");
        if !c.background && !fallback && !pipes_on || chosen.is_none() && !c.background {
            chosen = Some((c, argv, exec));
        }
    }
    let Some((c, argv, exec)) = chosen else {
        return Err(if cmds.iter().any(|c| c.background) {
            "every command runs in the background, and the shell exits".into()
        } else if let Some(b) = builtin {
            format!("its commands are shell builtins (`{b}`), which start no program")
        } else {
            "it runs no command".into()
        });
    };
    let Some(word) = argv.first() else {
        return Err("it execs \"$@\" with no arguments: the shell has nothing to run".into());
    };
    if let Some(file) = &st.sourced
        && !word.contains('/')
    {
        return Err(format!(
            "it first reads {file} with `.`, and a sourced file may change PATH or define `{word}`"
        ));
    }
    let path = match (
        &c.assigns.iter().find(|(n, _)| n == "PATH"),
        st.path.clone(),
    ) {
        (Some((_, v)), _) => st.path_value(v),
        (None, p) => p,
    };
    let path = match path {
        Some(p) => p,
        None if word.contains('/') => String::new(),
        None => return Err("PATH is set to a value known only when the shell runs".into()),
    };
    let cwd = match st.cwd {
        Some(None) if !word.starts_with('/') && word.contains('/') => {
            return Err("it `cd`s to a directory known only at run time".into());
        }
        Some(d) => d,
        None => None,
    };
    Ok(Service {
        argv,
        exec,
        line: c.line + first_line - 1,
        path,
        cwd,
    })
}

/// The operands of `exec` after its own options (bash's `-a NAME`, `-c`, `-l`).
fn exec_operands(words: &[Word]) -> &[Word] {
    let mut i = 0;
    while let Some(Word::Lit(w)) = words.get(i) {
        match w.as_str() {
            "--" => return &words[i + 1..],
            "-a" => i += 2,
            w if w.starts_with('-') && w.len() > 1 => i += 1,
            _ => break,
        }
    }
    words.get(i..).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATH: &str = "/usr/local/bin:/usr/bin:/bin";

    fn svc(text: &str, args: &[&str]) -> Result<Service, String> {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        service(text, 1, &args, PATH)
    }

    fn argv(text: &str) -> Vec<String> {
        svc(text, &[])
            .unwrap_or_else(|e| panic!("{text}: {e}"))
            .argv
    }

    #[test]
    fn exec_and_plain_commands() {
        let s = svc("exec /app/server", &[]).unwrap();
        assert_eq!(s.argv, ["/app/server"]);
        assert!(s.exec);
        assert_eq!(s.line, 1);
        assert_eq!(s.path, PATH);
        let s = svc("node server.js", &[]).unwrap();
        assert_eq!(s.argv, ["node", "server.js"]);
        assert!(!s.exec);
        assert_eq!(argv("python3 -m app"), ["python3", "-m", "app"]);
    }

    #[test]
    fn quotes_and_escapes() {
        assert_eq!(
            argv("exec '/opt/my app/run' \"a b\" c\\ d"),
            ["/opt/my app/run", "a b", "c d"]
        );
        assert_eq!(
            argv(r#"exec nginx -g 'daemon off;'"#),
            ["nginx", "-g", "daemon off;"]
        );
        assert_eq!(argv(r#"exec "/app/ser"ver"#), ["/app/server"]);
        assert!(
            svc("exec 'unclosed", &[])
                .unwrap_err()
                .contains("unterminated")
        );
    }

    #[test]
    fn assignments_set_up_and_chains() {
        assert_eq!(
            argv("FOO=1 BAR='x y' exec /app/server --port 80"),
            ["/app/server", "--port", "80"]
        );
        assert_eq!(argv("set -e; cd /app && exec ./server"), ["./server"]);
        assert_eq!(
            svc("cd /app && exec ./server", &[]).unwrap().cwd.as_deref(),
            Some("/app")
        );
        assert_eq!(
            argv("python manage.py migrate && gunicorn app:app"),
            ["gunicorn", "app:app"]
        );
        // `exec` ends the shell: what follows never runs.
        assert_eq!(argv("exec /app/a; /app/b"), ["/app/a"]);
        // A fallback after `||` runs only when the service failed.
        assert_eq!(
            argv("nginx -g 'daemon off;' || exit 1"),
            ["nginx", "-g", "daemon off;"]
        );
        assert_eq!(argv("/app/migrate ; /app/server"), ["/app/server"]);
        assert_eq!(
            argv("exec >/proc/1/fd/1 2>&1; exec /app/server"),
            ["/app/server"]
        );
        assert_eq!(argv("/app/server 2>&1"), ["/app/server"]);
    }

    #[test]
    fn pipelines_take_the_last_command() {
        assert_eq!(argv("/app/server | tee /tmp/log"), ["tee", "/tmp/log"]);
        assert_eq!(argv("/app/worker & exec /app/server"), ["/app/server"]);
        assert!(
            svc("/app/server &", &[])
                .unwrap_err()
                .contains("background")
        );
    }

    #[test]
    fn positional_arguments() {
        let s = svc("exec \"$@\"", &["/app/server", "--x"]).unwrap();
        assert_eq!(s.argv, ["/app/server", "--x"]);
        assert!(s.exec);
        assert_eq!(
            svc("exec $1 --flag", &["node"]).unwrap().argv,
            ["node", "--flag"]
        );
        assert_eq!(
            svc("set -- node \"$@\"; exec \"$@\"", &["app.js"])
                .unwrap()
                .argv,
            ["node", "app.js"]
        );
        assert_eq!(
            svc("shift; exec \"$@\"", &["x", "/bin/y"]).unwrap().argv,
            ["/bin/y"]
        );
        assert!(
            svc("exec \"$@\"", &[])
                .unwrap_err()
                .contains("no arguments")
        );
    }

    #[test]
    fn path_changes_are_followed() {
        let s = svc("export PATH=/opt/venv/bin:$PATH; exec python3 app.py", &[]).unwrap();
        assert_eq!(s.path, format!("/opt/venv/bin:{PATH}"));
        let s = svc("PATH=/x exec tool", &[]).unwrap();
        assert_eq!(s.path, "/x");
        assert!(
            svc("PATH=$(cat /p) exec tool", &[])
                .unwrap_err()
                .contains("PATH")
        );
        // An absolute command needs no PATH.
        assert_eq!(argv("PATH=$(cat /p); exec /bin/tool"), ["/bin/tool"]);
    }

    #[test]
    fn what_cannot_be_known() {
        for (text, why) in [
            ("exec $APP", "known only when"),
            ("exec \"${BIN}\" run", "known only when"),
            ("eval \"$CMD\"", "eval"),
            (". /venv/bin/activate && exec python app.py", "sourced file"),
            ("if [ -x /a ]; then exec /a; fi", "control flow"),
            ("main() { exec /a; }; main", "function"),
            ("(cd /app && exec ./s)", "subshell"),
            ("cat <<EOF\nx\nEOF", "here-document"),
            ("set -e; export A=1", "builtin"),
            ("", "no command"),
            ("# only a comment", "no command"),
            ("exec `which server`", "known only when"),
        ] {
            let e = svc(text, &[]).unwrap_err();
            assert!(e.contains(why), "{text:?}: {e}");
        }
        // Sourcing does not hide an absolute path.
        assert_eq!(argv(". /etc/profile; exec /app/server"), ["/app/server"]);
    }

    #[test]
    fn lines_are_counted_for_the_error_line() {
        let s = svc("set -e\n# start\nexec /app/server\n", &[]).unwrap();
        assert_eq!(s.line, 3);
        let s = service("exec \"$@\"", 12, &["/x".into()], PATH).unwrap();
        assert_eq!(s.line, 12);
        let s = svc("echo 'a\nb'; \\\n exec /s", &[]).unwrap();
        assert_eq!(s.line, 3);
    }

    #[test]
    fn exec_options_are_skipped() {
        assert_eq!(argv("exec -a myname /app/server"), ["/app/server"]);
        assert_eq!(argv("exec -- /app/server"), ["/app/server"]);
    }

    #[test]
    fn dash_c_finds_the_string_zero_and_args() {
        let v = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let a = v(&["-c", "exec /a"]);
        assert_eq!(dash_c(&a), Some(("exec /a", None, &[][..])));
        let a = v(&["-ec", "exec \"$@\"", "sh", "/x", "y"]);
        let (t, z, rest) = dash_c(&a).unwrap();
        assert_eq!((t, z), ("exec \"$@\"", Some("sh")));
        assert_eq!(rest, v(&["/x", "y"]));
        let a = v(&["-o", "pipefail", "-c", "x"]);
        assert_eq!(dash_c(&a).map(|t| t.0), Some("x"));
        let a = v(&["--login", "-c", "x"]);
        assert_eq!(dash_c(&a).map(|t| t.0), Some("x"));
        assert_eq!(dash_c(&v(&["/script.sh"])), None);
        assert_eq!(dash_c(&v(&["-e", "/script.sh"])), None);
    }
}
