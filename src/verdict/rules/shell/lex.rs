//! Shell text split into words and operators: quotes, escapes, `$(...)`, comments and line
//! numbers, with parameters that can be filled in (`"$@"`, `$1`) kept apart.

/// A word as the shell reads it: literal text, or a single parameter the caller can fill in.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Word {
    Lit(String),
    /// `"$@"`: every positional argument, one word each.
    AllArgs,
    /// `$1`, `"$1"`.
    Arg(usize),
    /// Anything else with `$`, `` ` `` or a glob: known only at run time. The text is kept
    /// for messages and for `PATH=...:$PATH`.
    Dynamic(String),
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    Word(Word, u32),
    /// `;`, `&`, `&&`, `||`, `|`, newline (as `\n`), `(`, `)`.
    Op(&'static str, u32),
    /// A redirection operator; its target is the next word.
    Redirect,
}

/// Splits `text` into words and operators. Errors name the construct that was not read.
pub(super) fn tokenize(text: &str) -> Result<Vec<Tok>, String> {
    let mut toks = Vec::new();
    let mut chars = text.chars().peekable();
    let mut line = 1u32;
    while let Some(&c) = chars.peek() {
        match c {
            '\n' => {
                chars.next();
                toks.push(Tok::Op("\n", line));
                line += 1;
            }
            ' ' | '\t' | '\r' => {
                chars.next();
            }
            '\\' if chars.clone().nth(1) == Some('\n') => {
                chars.nth(1);
                line += 1;
            }
            '#' => {
                while chars.peek().is_some_and(|&c| c != '\n') {
                    chars.next();
                }
            }
            ';' | '&' | '|' | '(' | ')' => {
                chars.next();
                let op = match (c, chars.peek()) {
                    ('&', Some('&')) => "&&",
                    ('|', Some('|')) => "||",
                    (';', Some(';')) => return Err("a case statement (`;;`)".into()),
                    ('&', _) => "&",
                    ('|', _) => "|",
                    (';', _) => ";",
                    ('(', _) => "(",
                    _ => ")",
                };
                if op.len() == 2 {
                    chars.next();
                }
                toks.push(Tok::Op(op, line));
            }
            '<' | '>' => {
                chars.next();
                if c == '<' && chars.peek() == Some(&'<') {
                    return Err("a here-document (`<<`)".into());
                }
                if chars.peek().is_some_and(|&n| matches!(n, '>' | '&' | '|')) {
                    chars.next();
                }
                toks.push(Tok::Redirect);
            }
            _ => {
                let (word, lines) = read_word(&mut chars)?;
                // `2>&1`: a number straight before `<`/`>` names a file descriptor.
                if let Word::Lit(w) = &word
                    && w.chars().all(|c| c.is_ascii_digit())
                    && chars.peek().is_some_and(|&n| n == '<' || n == '>')
                {
                    continue;
                }
                toks.push(Tok::Word(word, line));
                line += lines;
            }
        }
    }
    Ok(toks)
}

/// Reads one word; returns it and the newlines it spanned (inside quotes).
fn read_word(chars: &mut std::iter::Peekable<std::str::Chars>) -> Result<(Word, u32), String> {
    let mut lit = String::new();
    let mut raw = String::new();
    let mut dynamic = false;
    let mut lines = 0;
    // A word made of exactly one `"$@"` / `$1` / `"$1"`.
    let mut param: Option<Word> = None;
    let mut parts = 0;
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() || matches!(c, ';' | '&' | '|' | '(' | ')' | '<' | '>') {
            break;
        }
        chars.next();
        parts += 1;
        raw.push(c);
        match c {
            '\\' => match chars.next() {
                Some('\n') => lines += 1,
                Some(n) => {
                    raw.push(n);
                    lit.push(n);
                }
                None => {}
            },
            '\'' => loop {
                match chars.next() {
                    Some('\'') => {
                        raw.push('\'');
                        break;
                    }
                    Some(n) => {
                        lines += u32::from(n == '\n');
                        raw.push(n);
                        lit.push(n);
                    }
                    None => return Err("an unterminated ' quote".into()),
                }
            },
            '"' => {
                let start = lit.len();
                loop {
                    match chars.next() {
                        Some('"') => {
                            raw.push('"');
                            break;
                        }
                        Some('\\') => {
                            if let Some(n) = chars.next() {
                                raw.push('\\');
                                raw.push(n);
                                if !matches!(n, '$' | '`' | '"' | '\\' | '\n') {
                                    lit.push('\\');
                                }
                                if n != '\n' {
                                    lit.push(n);
                                }
                            }
                        }
                        Some(n) => {
                            if matches!(n, '$' | '`') {
                                dynamic = true;
                            }
                            lines += u32::from(n == '\n');
                            raw.push(n);
                            lit.push(n);
                        }
                        None => return Err("an unterminated \" quote".into()),
                    }
                }
                param = match &lit[start..] {
                    "$@" => Some(Word::AllArgs),
                    p => positional(p).map(Word::Arg),
                };
            }
            '$' | '`' | '*' | '?' | '[' | '~' => {
                dynamic = true;
                lit.push(c);
                if c == '$' && chars.peek() == Some(&'(') {
                    read_substitution(chars, &mut raw, &mut lines)?;
                } else if c == '$' {
                    // Take the parameter's name along so `$1` can be told apart.
                    while let Some(&n) = chars.peek() {
                        if n.is_ascii_alphanumeric() || matches!(n, '_' | '{' | '}' | '@') {
                            chars.next();
                            raw.push(n);
                            lit.push(n);
                        } else {
                            break;
                        }
                    }
                    if let Some(n) = positional(&lit) {
                        param = Some(Word::Arg(n));
                    }
                }
            }
            _ => lit.push(c),
        }
    }
    if parts == 1
        && let Some(p) = param
    {
        return Ok((p, lines));
    }
    if dynamic {
        return Ok((Word::Dynamic(raw), lines));
    }
    Ok((Word::Lit(lit), lines))
}

/// The rest of a `$(...)` (the `$` is read), nested parentheses included.
fn read_substitution(
    chars: &mut std::iter::Peekable<std::str::Chars>,
    raw: &mut String,
    lines: &mut u32,
) -> Result<(), String> {
    let mut depth = 0;
    for c in chars.by_ref() {
        raw.push(c);
        match c {
            '(' => depth += 1,
            ')' if depth == 1 => return Ok(()),
            ')' => depth -= 1,
            '\n' => *lines += 1,
            _ => {}
        }
    }
    Err("an unterminated $( command substitution".into())
}

/// `$1`, `${1}` -> 1.
fn positional(p: &str) -> Option<usize> {
    let p = p.strip_prefix('$')?;
    let p = p
        .strip_prefix('{')
        .and_then(|p| p.strip_suffix('}'))
        .unwrap_or(p);
    p.parse().ok().filter(|&n| n > 0)
}
