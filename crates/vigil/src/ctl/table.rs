//! systemctl's tables (systemd's `format-table` as the list verbs use
//! it): an upper-case header, columns as wide as their widest cell
//! separated by one space, the last column not padded, empty cells shown
//! as `-`, a cell of several values on several lines. `-o json` prints the
//! same rows as an array of objects keyed by the lower-case column names
//! (`json`: one line, `json-pretty`: indented).

use serde_json::Value;

use super::term::paint;

/// One cell: its lines and its color (applied only when colors are on).
#[derive(Clone, Debug, Default)]
pub struct Cell {
    pub lines: Vec<String>,
    pub color: &'static str,
}

impl Cell {
    pub fn new(text: impl Into<String>) -> Cell {
        Cell { lines: vec![text.into()], color: "" }
    }

    pub fn colored(text: impl Into<String>, color: &'static str) -> Cell {
        Cell { lines: vec![text.into()], color }
    }

    pub fn many(lines: Vec<String>) -> Cell {
        Cell { lines, color: "" }
    }
}

pub struct Table {
    pub columns: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
}

fn width(s: &str) -> usize {
    s.chars().count()
}

impl Table {
    pub fn new(columns: &[&'static str]) -> Table {
        Table { columns: columns.to_vec(), rows: Vec::new() }
    }

    pub fn push(&mut self, row: Vec<Cell>) {
        self.rows.push(row);
    }

    /// Hide a column (`table_hide_column_from_display()`).
    pub fn remove_column(&mut self, i: usize) {
        self.columns.remove(i);
        for row in &mut self.rows {
            if i < row.len() {
                row.remove(i);
            }
        }
    }

    /// The text table; with `header`, the column names first.
    pub fn render(&self, header: bool) -> String {
        let shown = |c: &Cell, i: usize| -> String { c.lines.get(i).cloned().filter(|s| !s.is_empty()).unwrap_or_else(|| if i == 0 { "-".into() } else { String::new() }) };
        let n = self.columns.len();
        // The nameless column (list-units' status dot) is one glyph wide
        // even with no row: systemd's empty list still starts "  UNIT".
        let mut widths: Vec<usize> = self.columns.iter().map(|c| if c.is_empty() { 1 } else if header { width(c) } else { 0 }).collect();
        for row in &self.rows {
            for (j, c) in row.iter().enumerate().take(n) {
                let h = c.lines.len().max(1);
                for i in 0..h {
                    widths[j] = widths[j].max(width(&shown(c, i)));
                }
            }
        }
        let mut out = String::new();
        let line = |out: &mut String, cells: Vec<(String, &'static str)>| {
            let mut l = String::new();
            for (j, (text, color)) in cells.iter().enumerate() {
                if j > 0 {
                    l.push(' ');
                }
                l.push_str(&paint(color, text));
                if j + 1 < cells.len() {
                    l.push_str(&" ".repeat(widths[j].saturating_sub(width(text))));
                }
            }
            out.push_str(l.trim_end_matches(' '));
            out.push('\n');
        };
        if header {
            line(&mut out, self.columns.iter().map(|c| (c.to_uppercase(), "")).collect());
        }
        for row in &self.rows {
            let h = row.iter().map(|c| c.lines.len().max(1)).max().unwrap_or(1);
            for i in 0..h {
                line(&mut out, row.iter().map(|c| (shown(c, i), c.color)).collect());
            }
        }
        out
    }

    /// `-o json` / `-o json-pretty`: the keys in column order.
    pub fn json(&self, pretty: bool) -> String {
        let rows: Vec<Vec<(String, Value)>> = self
            .rows
            .iter()
            .map(|row| {
                self.columns
                    .iter()
                    .zip(row)
                    .map(|(name, c)| {
                        let v = match c.lines.len() {
                            0 => Value::Null,
                            1 if c.lines[0].is_empty() => Value::Null,
                            // Numeric columns (the job id) are numbers.
                            1 if *name == "job" => c.lines[0]
                                .parse::<u64>()
                                .map(Value::from)
                                .unwrap_or_else(|_| Value::String(c.lines[0].clone())),
                            1 => Value::String(c.lines[0].clone()),
                            _ => Value::Array(c.lines.iter().cloned().map(Value::String).collect()),
                        };
                        (name.to_lowercase(), v)
                    })
                    .collect()
            })
            .collect();
        json_array(&rows, pretty)
    }
}

/// An array of objects whose keys keep their order (serde_json's map
/// sorts them; systemd prints them in column order).
pub fn json_array(rows: &[Vec<(String, Value)>], pretty: bool) -> String {
    let obj = |r: &Vec<(String, Value)>, indent: &str| -> String {
        let fields: Vec<String> = r
            .iter()
            .map(|(k, v)| {
                let k = Value::String(k.clone()).to_string();
                // systemd's pretty JSON has a blank before the colon too.
                if pretty {
                    format!("{indent}\t{k} : {v}")
                } else {
                    format!("{k}:{v}")
                }
            })
            .collect();
        if fields.is_empty() {
            format!("{indent}{{}}")
        } else if pretty {
            format!("{indent}{{\n{}\n{indent}}}", fields.join(",\n"))
        } else {
            format!("{{{}}}", fields.join(","))
        }
    };
    if pretty {
        let items: Vec<String> = rows.iter().map(|r| obj(r, "\t")).collect();
        if items.is_empty() {
            return "[]\n".into();
        }
        format!("[\n{}\n]\n", items.join(",\n"))
    } else {
        let items: Vec<String> = rows.iter().map(|r| obj(r, "")).collect();
        format!("[{}]\n", items.join(","))
    }
}

/// One object with keys in order (`show-environment -o json`).
pub fn json_object(fields: &[(String, Value)], pretty: bool) -> String {
    let s = json_array(&[fields.to_vec()], pretty);
    if pretty {
        // Drop the array around the single object, and its indentation.
        let inner = s.trim_end().trim_start_matches("[\n").trim_end_matches("\n]");
        let lines: Vec<&str> = inner.lines().map(|l| l.strip_prefix('\t').unwrap_or(l)).collect();
        format!("{}\n", lines.join("\n"))
    } else {
        format!("{}\n", s.trim_end().trim_start_matches('[').trim_end_matches(']'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_pad_but_the_last_and_empty_is_a_dash() {
        let mut t = Table::new(&["job", "unit", "type", "state"]);
        t.push(vec![Cell::new("12"), Cell::new("a.service"), Cell::new("start"), Cell::new("waiting")]);
        t.push(vec![Cell::new("7"), Cell::new("longer.service"), Cell::new(""), Cell::new("running")]);
        assert_eq!(
            t.render(true),
            "JOB UNIT           TYPE  STATE\n12  a.service      start waiting\n7   longer.service -     running\n"
        );
        assert_eq!(t.render(false).lines().next(), Some("12 a.service      start waiting"));
        assert_eq!(
            t.json(false),
            "[{\"job\":12,\"unit\":\"a.service\",\"type\":\"start\",\"state\":\"waiting\"},{\"job\":7,\"unit\":\"longer.service\",\"type\":null,\"state\":\"running\"}]\n"
        );
    }

    /// Pretty: systemd 252 puts a blank before the colon (`systemctl
    /// list-units -o json-pretty` in the oracle container).
    #[test]
    fn json_keeps_column_order() {
        let row = vec![("b".to_string(), Value::from("x")), ("a".to_string(), Value::Null)];
        assert_eq!(json_array(std::slice::from_ref(&row), false), "[{\"b\":\"x\",\"a\":null}]\n");
        assert_eq!(json_array(std::slice::from_ref(&row), true), "[\n\t{\n\t\t\"b\" : \"x\",\n\t\t\"a\" : null\n\t}\n]\n");
        assert_eq!(json_object(&row, false), "{\"b\":\"x\",\"a\":null}\n");
        assert_eq!(json_object(&row, true), "{\n\t\"b\" : \"x\",\n\t\"a\" : null\n}\n");
    }

    #[test]
    fn multi_line_cells() {
        let mut t = Table::new(&["listen", "unit", "activates"]);
        t.push(vec![Cell::new("/run/a"), Cell::new("a.socket"), Cell::many(vec!["x.service".into(), "y.service".into()])]);
        assert_eq!(t.render(true), "LISTEN UNIT     ACTIVATES\n/run/a a.socket x.service\n                y.service\n");
    }
}
