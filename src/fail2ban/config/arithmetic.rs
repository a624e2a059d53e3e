//! The arithmetic fail2ban's `MyTime.str2seconds` hands to Python's `eval` once unit words are
//! replaced: numbers, `+ - * / // % **`, parentheses and a `#` comment, with Python's
//! precedence and literal rules (no leading zeros in integers). Anything else is refused, as
//! fail2ban's server refuses it.

/// The value of `expression`; the error says what was not understood.
pub(super) fn evaluate(expression: &str) -> Result<f64, String> {
    let code = expression.split('#').next().unwrap_or_default();
    let tokens = tokenize(code)?;
    let mut parser = Parser { tokens, at: 0 };
    let value = parser.sum()?;
    match parser.tokens.get(parser.at) {
        None => Ok(value),
        Some(token) => Err(format!("unexpected {token:?}")),
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Number(f64),
    Operator(&'static str),
    Open,
    Close,
}

fn tokenize(code: &str) -> Result<Vec<Token>, String> {
    const OPERATORS: [&str; 7] = ["**", "//", "+", "-", "*", "/", "%"];
    let mut tokens = Vec::new();
    let mut rest = code.trim_start();
    while let Some(c) = rest.chars().next() {
        if c.is_ascii_digit() || (c == '.' && rest[1..].starts_with(|d: char| d.is_ascii_digit())) {
            let (number, after) = number(rest)?;
            tokens.push(Token::Number(number));
            rest = after;
        } else if c == '(' {
            tokens.push(Token::Open);
            rest = &rest[1..];
        } else if c == ')' {
            tokens.push(Token::Close);
            rest = &rest[1..];
        } else if let Some(op) = OPERATORS.iter().find(|op| rest.starts_with(**op)) {
            tokens.push(Token::Operator(op));
            rest = &rest[op.len()..];
        } else {
            return Err(format!("unexpected {c:?}"));
        }
        rest = rest.trim_start();
    }
    Ok(tokens)
}

/// A Python number literal at the start of `text`: digits with `_` between them, an optional
/// fraction and exponent.
fn number(text: &str) -> Result<(f64, &str), String> {
    let bytes = text.as_bytes();
    let mut end = 0;
    let digits = |end: &mut usize| {
        while *end < bytes.len()
            && (bytes[*end].is_ascii_digit()
                || (bytes[*end] == b'_'
                    && *end > 0
                    && bytes[*end - 1].is_ascii_digit()
                    && bytes.get(*end + 1).is_some_and(u8::is_ascii_digit)))
        {
            *end += 1;
        }
    };
    digits(&mut end);
    let integer_part = &text[..end];
    let mut is_float = false;
    if bytes.get(end) == Some(&b'.') {
        is_float = true;
        end += 1;
        digits(&mut end);
    }
    if matches!(bytes.get(end), Some(b'e' | b'E')) {
        let mut exponent = end + 1;
        if matches!(bytes.get(exponent), Some(b'+' | b'-')) {
            exponent += 1;
        }
        if bytes.get(exponent).is_some_and(u8::is_ascii_digit) {
            is_float = true;
            end = exponent;
            digits(&mut end);
        }
    }
    let literal = text[..end].replace('_', "");
    if !is_float
        && integer_part.len() > 1
        && integer_part.starts_with('0')
        && integer_part.chars().any(|c| c != '0' && c != '_')
    {
        return Err(format!(
            "{integer_part}: leading zeros in decimal integer literals are not permitted"
        ));
    }
    let value = literal
        .parse::<f64>()
        .map_err(|_| format!("{literal:?} is not a number"))?;
    Ok((value, &text[end..]))
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn next_operator(&mut self, wanted: &[&str]) -> Option<&'static str> {
        match self.tokens.get(self.at) {
            Some(Token::Operator(op)) if wanted.contains(op) => {
                self.at += 1;
                Some(op)
            }
            _ => None,
        }
    }

    fn sum(&mut self) -> Result<f64, String> {
        let mut value = self.product()?;
        while let Some(op) = self.next_operator(&["+", "-"]) {
            let right = self.product()?;
            value = if op == "+" {
                value + right
            } else {
                value - right
            };
        }
        Ok(value)
    }

    fn product(&mut self) -> Result<f64, String> {
        let mut value = self.unary()?;
        while let Some(op) = self.next_operator(&["*", "/", "//", "%"]) {
            let right = self.unary()?;
            if op != "*" && right == 0.0 {
                return Err("division by zero".to_string());
            }
            value = match op {
                "*" => value * right,
                "/" => value / right,
                "//" => (value / right).floor(),
                _ => value - right * (value / right).floor(),
            };
        }
        Ok(value)
    }

    fn unary(&mut self) -> Result<f64, String> {
        match self.next_operator(&["+", "-"]) {
            Some("-") => Ok(-self.unary()?),
            Some(_) => self.unary(),
            None => self.power(),
        }
    }

    fn power(&mut self) -> Result<f64, String> {
        let base = self.atom()?;
        if self.next_operator(&["**"]).is_some() {
            return Ok(base.powf(self.unary()?));
        }
        Ok(base)
    }

    fn atom(&mut self) -> Result<f64, String> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        match token {
            Some(Token::Number(value)) => Ok(value),
            Some(Token::Open) => {
                let value = self.sum()?;
                match self.tokens.get(self.at) {
                    Some(Token::Close) => {
                        self.at += 1;
                        Ok(value)
                    }
                    _ => Err("'(' was never closed".to_string()),
                }
            }
            Some(other) => Err(format!("unexpected {other:?}")),
            None => Err("unexpected end".to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evaluates_as_python_does() {
        assert_eq!(evaluate("1*3600+30*60"), Ok(5400.0));
        assert_eq!(evaluate("-2**2"), Ok(-4.0));
        assert_eq!(evaluate("600 # ten minutes"), Ok(600.0));
        assert_eq!(evaluate("7//2 + 7%-2"), Ok(2.0));
        assert_eq!(evaluate("1_000"), Ok(1000.0));
        assert!(evaluate("0600").is_err());
        assert!(evaluate("1+2 3").is_err());
        assert!(evaluate("ten").is_err());
        assert!(evaluate("").is_err());
        assert!(evaluate("(1").is_err());
    }
}
