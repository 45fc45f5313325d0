//! Tables of records, from CSV or from a JSON array of objects, read into one shape so that the
//! staff and tickets readers validate both the same way.
//!
//! A [`Row`] holds the cells of the columns a [`Columns`] knows, each with where it came from;
//! other columns are dropped. Cells are trimmed text, or for JSON arrays a list of texts.
//!
//! The csv crate parses the CSV, but two things are checked before it: quoting, which it
//! accepts permissively (an unclosed quote swallows every following row into one field, and
//! when that field is the last column the row count stays plausible), and line numbers, which
//! it counts from the end of the previous record, blank lines included.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{InputError, Location, strip_bom};

/// The columns of one kind of table.
pub(super) struct Columns {
    /// What one row is, for messages: "staff member", "ticket".
    pub row: &'static str,
    /// Every accepted column name (normalized, see [`normalize`]) with the canonical name it
    /// stands for; several names may stand for one.
    pub names: &'static [(&'static str, &'static str)],
    /// Canonical names that must be present.
    pub required: &'static [&'static str],
    /// Canonical names whose JSON value may be an array of strings.
    pub lists: &'static [&'static str],
    /// A header line to show as an example.
    pub example_header: &'static str,
}

impl Columns {
    fn canonical(&self, name: &str) -> Option<&'static str> {
        let name = normalize(name);
        self.names
            .iter()
            .find(|(accepted, _)| *accepted == name)
            .map(|(_, canonical)| *canonical)
    }

    /// The first accepted name for `canonical`, the one messages use.
    fn spelling<'a>(&self, canonical: &'a str) -> &'a str {
        self.names
            .iter()
            .find(|(_, c)| *c == canonical)
            .map_or(canonical, |(accepted, _)| accepted)
    }

    /// The required columns by their first accepted names, as "a, b and c".
    fn required_list(&self) -> String {
        let names: Vec<&str> = self.required.iter().map(|c| self.spelling(c)).collect();
        match names.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
            _ => names.join(""),
        }
    }

    /// The accepted names for `canonical`, quoted and joined with "or", for messages.
    fn spellings(&self, canonical: &str) -> String {
        let names: Vec<String> = self
            .names
            .iter()
            .filter(|(_, c)| *c == canonical)
            .map(|(accepted, _)| format!("\"{accepted}\""))
            .collect();
        names.join(" or ")
    }
}

/// A column or key name as the readers compare it: trimmed, lower case, with spaces and dashes
/// as underscores.
fn normalize(name: &str) -> String {
    name.trim().to_lowercase().replace([' ', '-'], "_")
}

/// One record of a table.
#[derive(Debug)]
pub(super) struct Row {
    /// Where the record starts.
    pub at: Location,
    cells: BTreeMap<&'static str, Cell>,
}

/// One known field of a record.
#[derive(Debug)]
pub(super) struct Cell {
    /// The column or key as the file spells it.
    pub name: String,
    pub value: CellValue,
    pub at: Location,
}

#[derive(Debug)]
pub(super) enum CellValue {
    Text(String),
    List(Vec<String>),
}

impl Row {
    /// The cell of a canonical column, if present and not empty.
    pub fn optional(&self, canonical: &str) -> Option<&Cell> {
        self.cells.get(canonical).filter(|cell| !cell.is_empty())
    }

    /// The cell of a canonical column that every row needs, or an error saying it is missing
    /// or empty.
    pub fn required(
        &self,
        file: &str,
        columns: &Columns,
        canonical: &str,
    ) -> Result<&Cell, InputError> {
        match self.cells.get(canonical) {
            Some(cell) if !cell.is_empty() => Ok(cell),
            Some(cell) => Err(cell.error(
                file,
                format!("the value is empty; every {} needs one", columns.row),
            )),
            None => Err(self.missing(file, columns, canonical)),
        }
    }

    /// The cell of a canonical column every row must have but may leave empty: `None` when
    /// empty, an error when absent (a JSON entry without the key).
    pub fn present(
        &self,
        file: &str,
        columns: &Columns,
        canonical: &str,
    ) -> Result<Option<&Cell>, InputError> {
        match self.cells.get(canonical) {
            Some(cell) => Ok(Some(cell).filter(|cell| !cell.is_empty())),
            None => Err(self.missing(file, columns, canonical)),
        }
    }

    fn missing(&self, file: &str, columns: &Columns, canonical: &str) -> InputError {
        let mut message = format!("the key is missing; every {} needs one", columns.row);
        if columns
            .names
            .iter()
            .filter(|(_, c)| *c == canonical)
            .count()
            > 1
        {
            message.push_str(&format!(" (as {})", columns.spellings(canonical)));
        }
        let field = columns.spelling(canonical);
        InputError::parse(file, self.at, Some(field), message)
    }
}

impl Cell {
    fn is_empty(&self) -> bool {
        match &self.value {
            CellValue::Text(text) => text.is_empty(),
            CellValue::List(items) => items.iter().all(|item| item.trim().is_empty()),
        }
    }

    /// The cell as one text. Readers only make lists for list columns, which use
    /// [`Cell::items`]; a list read here comes out `;`-joined rather than failing.
    pub fn text(&self) -> String {
        match &self.value {
            CellValue::Text(text) => text.clone(),
            CellValue::List(items) => items.join(";"),
        }
    }

    /// The cell as a list: a text split at `;`, items trimmed, empty items dropped.
    pub fn items(&self) -> Vec<String> {
        let items: Vec<&str> = match &self.value {
            CellValue::Text(text) => text.split(';').collect(),
            CellValue::List(items) => items.iter().map(String::as_str).collect(),
        };
        items
            .into_iter()
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// An error about this cell's value.
    pub fn error(&self, file: &str, message: impl Into<String>) -> InputError {
        InputError::parse(file, self.at, Some(&self.name), message)
    }
}

/// Reads the rows of a CSV table. A header-only file is an empty table; an empty file is an
/// error, as the header is what says which column is which.
pub(super) fn read_csv(file: &str, text: &str, columns: &Columns) -> Result<Vec<Row>, InputError> {
    let text = strip_bom(text);
    if text.trim().is_empty() {
        return Err(InputError::parse(
            file,
            Location::line(1),
            None,
            format!(
                "the file is empty: the header line is missing (expected columns like {})",
                columns.example_header
            ),
        ));
    }
    check_quotes(text).map_err(|(line, message)| {
        InputError::parse(
            file,
            Location::line(line),
            None,
            format!("malformed CSV: {message}"),
        )
    })?;

    // Flexible, so that a blank or whitespace-only line is skipped rather than refused for its
    // field count; the count is checked below for every other row.
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|error| csv_error(file, text, &error))?
        .clone();
    let header_at = Location::line(1 + blank_lines_at(text, 0));
    let positions = map_header(file, header_at, &header, columns)?;

    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|error| csv_error(file, text, &error))?;
        if record.iter().all(|value| value.trim().is_empty()) {
            continue;
        }
        let at = record
            .position()
            .map_or_else(Location::default, |position| {
                Location::line(line_of(text, position))
            });
        if record.len() != header.len() {
            return Err(InputError::parse(
                file,
                at,
                None,
                format!(
                    "malformed CSV: the line has {} but the header has {}; check for a missing \
                     or extra comma (a value containing a comma must be in double quotes)",
                    fields(record.len()),
                    header.len()
                ),
            ));
        }

        let mut cells = BTreeMap::new();
        for (index, canonical) in &positions {
            let cell = Cell {
                name: header.get(*index).unwrap_or_default().trim().to_owned(),
                value: CellValue::Text(record.get(*index).unwrap_or_default().trim().to_owned()),
                at,
            };
            cells.insert(*canonical, cell);
        }
        rows.push(Row { at, cells });
    }
    Ok(rows)
}

/// Maps header positions to canonical columns, refusing a header that names a column twice or
/// lacks a required one.
fn map_header(
    file: &str,
    at: Location,
    header: &csv::StringRecord,
    columns: &Columns,
) -> Result<Vec<(usize, &'static str)>, InputError> {
    let mut positions: Vec<(usize, &'static str)> = Vec::new();
    for (index, name) in header.iter().enumerate() {
        let Some(canonical) = columns.canonical(name) else {
            continue;
        };
        if let Some((first, _)) = positions.iter().find(|(_, c)| *c == canonical) {
            let first_name = header.get(*first).unwrap_or_default().trim();
            return Err(InputError::parse(
                file,
                at,
                Some(name.trim()),
                format!(
                    "columns {} (\"{first_name}\") and {} both give the {canonical}; keep one",
                    first + 1,
                    index + 1
                ),
            ));
        }
        positions.push((index, canonical));
    }

    for required in columns.required {
        if positions.iter().any(|(_, c)| c == required) {
            continue;
        }
        let mut message = format!(
            "the header has no {} column; it needs at least {}, as in {}",
            columns.spellings(required),
            columns.required_list(),
            columns.example_header
        );
        // Semicolon-separated "CSV" is what spreadsheets write in many European locales.
        if header.len() == 1 && header.get(0).is_some_and(|h| h.contains([';', '\t'])) {
            message.push_str("; the columns must be separated by commas, not semicolons or tabs");
        }
        return Err(InputError::parse(file, at, None, message));
    }
    Ok(positions)
}

fn fields(count: usize) -> String {
    match count {
        1 => "1 field".to_owned(),
        n => format!("{n} fields"),
    }
}

/// Turns a csv crate error into one naming the line as a person counts it. With quoting
/// checked, a flexible reader and text known to be UTF-8, little is left to go wrong.
fn csv_error(file: &str, text: &str, error: &csv::Error) -> InputError {
    let (position, message) = match error.kind() {
        csv::ErrorKind::Utf8 { pos, .. } => (
            pos.as_ref(),
            "malformed CSV: the line is not valid UTF-8; save the file as UTF-8".to_owned(),
        ),
        _ => (error.position(), format!("malformed CSV: {error}")),
    };
    let at = position.map_or_else(Location::default, |position| {
        Location::line(line_of(text, position))
    });
    InputError::parse(file, at, None, message)
}

/// The line a record starts on. The csv crate reports the position just after the previous
/// record, so blank lines skipped in between must be added.
fn line_of(text: &str, position: &csv::Position) -> usize {
    let line = usize::try_from(position.line()).unwrap_or(usize::MAX);
    let byte = usize::try_from(position.byte()).unwrap_or(usize::MAX);
    line.saturating_add(blank_lines_at(text, byte))
}

/// How many line breaks follow one another from byte `offset` on.
fn blank_lines_at(text: &str, offset: usize) -> usize {
    let rest = text.get(offset..).unwrap_or_default();
    rest.chars()
        .take_while(|c| matches!(c, '\r' | '\n'))
        .filter(|c| *c == '\n')
        .count()
}

/// Checks RFC 4180 quoting: a quoted field must be closed, and only a comma or a line break
/// (or blanks) may follow its closing quote. A quote inside an unquoted field is taken
/// literally, as the csv crate does (`Jo "JJ" Park`). Returns the line and what is wrong.
fn check_quotes(text: &str) -> Result<(), (usize, String)> {
    #[derive(Clone, Copy)]
    enum State {
        FieldStart,
        Unquoted,
        /// Inside quotes opened on line `opened`.
        Quoted {
            opened: usize,
        },
        /// A quote inside quotes: the closing one, or the first of a `""` pair.
        QuoteInQuoted {
            opened: usize,
        },
        /// After the closing quote and blanks.
        Closed,
    }

    let mut line = 1;
    let mut state = State::FieldStart;
    for c in text.chars() {
        state = match (state, c) {
            (State::Quoted { opened }, '"') => State::QuoteInQuoted { opened },
            (State::Quoted { .. }, _) => state,
            (State::QuoteInQuoted { opened }, '"') => State::Quoted { opened },
            (_, ',' | '\n' | '\r') => State::FieldStart,
            (State::FieldStart, '"') => State::Quoted { opened: line },
            (State::FieldStart | State::Unquoted, _) => State::Unquoted,
            (State::QuoteInQuoted { .. } | State::Closed, ' ' | '\t') => State::Closed,
            (State::QuoteInQuoted { .. } | State::Closed, _) => {
                return Err((
                    line,
                    "text follows the closing quote of a quoted value; inside quotes, write a \
                     quote as two quotes (\"\")"
                        .to_owned(),
                ));
            }
        };
        if c == '\n' {
            line += 1;
        }
    }

    match state {
        State::Quoted { opened } => Err((
            opened,
            "a quoted value starts on this line but is never closed; add the closing quote"
                .to_owned(),
        )),
        _ => Ok(()),
    }
}

/// Reads the rows of a JSON table: an array of objects. Lines point at each entry's key, found
/// by [`locate_entries`], since serde_json keeps positions only for syntax errors.
pub(super) fn read_json(file: &str, text: &str, columns: &Columns) -> Result<Vec<Row>, InputError> {
    let text = strip_bom(text);
    let keys: Vec<&str> = columns
        .required
        .iter()
        .map(|c| columns.spelling(c))
        .collect();
    let expected = format!(
        "expected a JSON array of {}s, like [{{\"{}\": ...}}]",
        columns.row,
        keys.join("\": ..., \"")
    );
    if text.trim().is_empty() {
        return Err(InputError::parse(
            file,
            Location::line(1),
            None,
            format!("the file is empty; {expected}"),
        ));
    }

    let document: Value = serde_json::from_str(text).map_err(|error| {
        let suffix = format!(" at line {} column {}", error.line(), error.column());
        let full = error.to_string();
        let reason = full.strip_suffix(&suffix).unwrap_or(&full);
        let at = Location {
            line: Some(error.line()),
            column: Some(error.column()),
            entry: None,
        };
        InputError::parse(file, at, None, format!("invalid JSON: {reason}"))
    })?;
    let Value::Array(entries) = document else {
        let at = Location::of_offset(text, text.len() - text.trim_start().len());
        let found = kind_of(&document);
        return Err(InputError::parse(
            file,
            at,
            None,
            format!("{expected}; found {found}"),
        ));
    };

    let spans = locate_entries(text);
    let mut rows = Vec::with_capacity(entries.len());
    for (index, entry) in entries.into_iter().enumerate() {
        let span = spans.get(index);
        let at = Location {
            entry: Some(index + 1),
            ..span.map_or_else(Location::default, |span| {
                Location::of_offset(text, span.start)
            })
        };
        let Value::Object(object) = entry else {
            let found = kind_of(&entry);
            return Err(InputError::parse(
                file,
                at,
                None,
                format!("expected an object for each {}; found {found}", columns.row),
            ));
        };

        if let Some(span) = span {
            check_repeated_keys(file, text, span, index, columns)?;
        }

        let mut cells: BTreeMap<&'static str, Cell> = BTreeMap::new();
        for (key, value) in object {
            let Some(canonical) = columns.canonical(&key) else {
                continue;
            };
            let key_at = span
                .and_then(|span| span.keys.iter().rev().find(|(k, _)| *k == key))
                .map_or(at, |(_, offset)| Location {
                    entry: Some(index + 1),
                    ..Location::of_offset(text, *offset)
                });
            if let Some(other) = cells.get(canonical) {
                // Only when the keys could not be located; check_repeated_keys names the
                // later of the two in file order.
                return Err(InputError::parse(
                    file,
                    key_at,
                    Some(&key),
                    format!("\"{}\" also gives the {canonical}; keep one", other.name),
                ));
            }

            let is_list = columns.lists.contains(&canonical);
            let value = json_cell(value, is_list)
                .map_err(|message| InputError::parse(file, key_at, Some(&key), message))?;
            if let Some(value) = value {
                cells.insert(
                    canonical,
                    Cell {
                        name: key,
                        value,
                        at: key_at,
                    },
                );
            }
        }
        rows.push(Row { at, cells });
    }
    Ok(rows)
}

/// Refuses an object that gives one column twice, under one spelling or two. serde_json would
/// keep the last of two equal keys silently, and its map is sorted by key rather than in file
/// order, so this works on the keys as [`locate_entries`] found them.
fn check_repeated_keys(
    file: &str,
    text: &str,
    span: &EntrySpan,
    index: usize,
    columns: &Columns,
) -> Result<(), InputError> {
    let mut seen: Vec<(&'static str, &str)> = Vec::new();
    for (key, offset) in &span.keys {
        let Some(canonical) = columns.canonical(key) else {
            continue;
        };
        if let Some((_, earlier)) = seen.iter().find(|(c, _)| *c == canonical) {
            let at = Location {
                entry: Some(index + 1),
                ..Location::of_offset(text, *offset)
            };
            let message = format!("\"{earlier}\" already gives the {canonical}; keep one");
            return Err(InputError::parse(file, at, Some(key), message));
        }
        seen.push((canonical, key));
    }
    Ok(())
}

/// A JSON value as a cell: strings are trimmed, numbers become their text (employee ids are
/// often numbers), null is an absent cell.
fn json_cell(value: Value, is_list: bool) -> Result<Option<CellValue>, String> {
    match value {
        Value::Null => Ok(None),
        Value::String(text) => Ok(Some(CellValue::Text(text.trim().to_owned()))),
        Value::Number(number) => Ok(Some(CellValue::Text(number.to_string()))),
        Value::Array(items) if is_list => {
            let mut texts = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    Value::String(text) => texts.push(text),
                    other => {
                        return Err(format!(
                            "expected a list of strings; found {} in the list",
                            kind_of(&other)
                        ));
                    }
                }
            }
            Ok(Some(CellValue::List(texts)))
        }
        other if is_list => Err(format!(
            "expected a list of strings or a \";\"-separated string; found {}",
            kind_of(&other)
        )),
        other => Err(format!("expected a string; found {}", kind_of(&other))),
    }
}

fn kind_of(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => format!("the number {n}"),
        Value::String(_) => "a string".to_owned(),
        Value::Array(_) => "an array".to_owned(),
        Value::Object(_) => "an object".to_owned(),
    }
}

/// Where an entry of the top-level JSON array starts, and where each of its keys is (byte
/// offsets).
#[derive(Debug, PartialEq)]
struct EntrySpan {
    start: usize,
    keys: Vec<(String, usize)>,
}

/// Finds the entries of a top-level JSON array and the keys of those that are objects. Only
/// called on text serde_json has accepted, so it tracks just nesting and strings; on anything
/// else it returns fewer spans, and messages lose their line rather than fail.
fn locate_entries(text: &str) -> Vec<EntrySpan> {
    let bytes = text.as_bytes();
    let mut entries: Vec<EntrySpan> = Vec::new();
    let mut nesting: Vec<u8> = Vec::new();
    let mut expect_entry = false;
    let mut expect_key = false;

    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        let depth = nesting.len();
        let starts_entry = depth == 1 && expect_entry && !matches!(byte, b',' | b']' | b':');
        if starts_entry && !byte.is_ascii_whitespace() {
            entries.push(EntrySpan {
                start: i,
                keys: Vec::new(),
            });
            expect_entry = false;
        }

        match byte {
            b'"' => {
                // Quotes and backslashes are ASCII and never part of a multi-byte character,
                // so byte scanning is safe in UTF-8.
                let start = i;
                i += 1;
                while let Some(&b) = bytes.get(i) {
                    match b {
                        b'\\' => i += 2,
                        b'"' => break,
                        _ => i += 1,
                    }
                }
                let in_entry_object = depth == 2 && nesting.get(1) == Some(&b'{');
                if in_entry_object && expect_key {
                    expect_key = false;
                    let raw = text.get(start..=i).unwrap_or_default();
                    let key = serde_json::from_str::<String>(raw).unwrap_or_default();
                    if let Some(entry) = entries.last_mut() {
                        entry.keys.push((key, start));
                    }
                }
            }
            b'[' | b'{' => {
                nesting.push(byte);
                expect_entry = nesting.len() == 1 && byte == b'[';
                expect_key = nesting.len() == 2 && byte == b'{';
            }
            b']' | b'}' => {
                nesting.pop();
            }
            b',' => {
                expect_entry = depth == 1;
                expect_key = depth == 2 && nesting.get(1) == Some(&b'{');
            }
            _ => {}
        }
        i += 1;
    }
    entries
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLUMNS: Columns = Columns {
        row: "thing",
        names: &[("a", "a"), ("b", "b"), ("bee", "b"), ("list", "list")],
        required: &["a"],
        lists: &["list"],
        example_header: "a,b,list",
    };

    fn csv_error_of(text: &str) -> String {
        match read_csv("t.csv", text, &COLUMNS) {
            Ok(_) => panic!("expected an error for {text:?}"),
            Err(err) => err.to_string(),
        }
    }

    fn texts(rows: &[Row], canonical: &str) -> Vec<String> {
        rows.iter()
            .map(|row| row.optional(canonical).map(Cell::text).unwrap_or_default())
            .collect()
    }

    #[test]
    fn csv_rows_carry_the_line_they_start_on() {
        let text = "\n\nA , B\n\n1,2\n\n\n3,\"x\ny\"\n5,6\n";
        let rows = read_csv("t.csv", text, &COLUMNS).unwrap();
        let lines: Vec<_> = rows.iter().map(|row| row.at.line).collect();
        assert_eq!(lines, [Some(5), Some(8), Some(10)]);
        assert_eq!(texts(&rows, "b"), ["2", "x\ny", "6"]);
    }

    #[test]
    fn csv_rows_of_only_empty_cells_and_blank_lines_are_skipped() {
        let rows = read_csv("t.csv", "a,b\n1,2\n,\n , \n   \n\t\n", &COLUMNS).unwrap();
        assert_eq!(rows.len(), 1);
    }

    #[test]
    fn csv_row_with_one_field_says_field_not_fields() {
        assert!(
            csv_error_of("a,b\n1\n")
                .starts_with("t.csv:2: malformed CSV: the line has 1 field but")
        );
    }

    #[test]
    fn csv_header_only_is_an_empty_table() {
        assert!(read_csv("t.csv", "a,b\n", &COLUMNS).unwrap().is_empty());
    }

    #[test]
    fn csv_empty_file_says_the_header_is_missing() {
        assert_eq!(
            csv_error_of(" \n"),
            "t.csv:1: the file is empty: the header line is missing (expected columns like \
             a,b,list)"
        );
    }

    #[test]
    fn csv_ragged_row_is_reported_with_its_line() {
        assert_eq!(
            csv_error_of("a,b\n1,2\n\n3,4,5\n"),
            "t.csv:4: malformed CSV: the line has 3 fields but the header has 2; check for a \
             missing or extra comma (a value containing a comma must be in double quotes)"
        );
    }

    #[test]
    fn csv_unclosed_quote_is_reported_where_it_opens() {
        // Pins the silent failure this check exists for: the csv crate would read every row
        // after line 3 into the last field of line 3.
        assert_eq!(
            csv_error_of("a,b\n1,2\n3,\"4\n5,6\n7,8\n"),
            "t.csv:3: malformed CSV: a quoted value starts on this line but is never closed; \
             add the closing quote"
        );
    }

    #[test]
    fn csv_text_after_a_closing_quote_is_reported() {
        assert_eq!(
            csv_error_of("a,b\n1,\"Jo \"JJ\" Park\"\n"),
            "t.csv:2: malformed CSV: text follows the closing quote of a quoted value; inside \
             quotes, write a quote as two quotes (\"\")"
        );
    }

    #[test]
    fn csv_quotes_that_follow_the_rules_are_accepted() {
        let text = "a,b\r\n\"1\",\"Jo \"\"JJ\"\" Park\"  \r\n2,Jo \"JJ\" Park\r\n3,\"\"\r\n";
        let rows = read_csv("t.csv", text, &COLUMNS).unwrap();
        assert_eq!(texts(&rows, "b"), ["Jo \"JJ\" Park", "Jo \"JJ\" Park", ""]);
    }

    #[test]
    fn csv_header_names_are_matched_loosely_and_unknown_ones_ignored() {
        let rows = read_csv("t.csv", " A ,Department,BEE\n1,Sales,2\n", &COLUMNS).unwrap();
        assert_eq!(texts(&rows, "b"), ["2"]);
        assert_eq!(
            rows[0].optional("b").map(|cell| cell.name.as_str()),
            Some("BEE")
        );
    }

    #[test]
    fn csv_missing_required_column_is_named() {
        assert_eq!(
            csv_error_of("\nb,list\n1,2\n"),
            "t.csv:2: the header has no \"a\" column; it needs at least a, as in a,b,list"
        );
    }

    #[test]
    fn csv_semicolon_separated_header_gets_a_hint() {
        assert!(
            csv_error_of("a;b\n1;2\n").ends_with("separated by commas, not semicolons or tabs")
        );
    }

    #[test]
    fn csv_column_given_twice_is_refused() {
        assert_eq!(
            csv_error_of("a,b,bee\n1,2,3\n"),
            "t.csv:1: field \"bee\": columns 2 (\"b\") and 3 both give the b; keep one"
        );
    }

    #[test]
    fn json_rows_carry_entry_and_key_positions() {
        let text = r#"[
  {"a": "1", "b": 2},
  {
    "A": "3",
    "list": ["x", " ", "y"]
  }
]"#;
        let rows = read_json("t.json", text, &COLUMNS).unwrap();
        assert_eq!(
            rows[0].at,
            Location {
                line: Some(2),
                column: Some(3),
                entry: Some(1)
            }
        );
        assert_eq!(rows[1].at.line, Some(3));
        let list = rows[1].optional("list").unwrap();
        assert_eq!(
            list.at,
            Location {
                line: Some(5),
                column: Some(5),
                entry: Some(2)
            }
        );
        assert_eq!(list.items(), ["x", "y"]);
        assert_eq!(texts(&rows, "b"), ["2", ""]);
        assert_eq!(
            rows[1].optional("a").map(|cell| cell.at.line),
            Some(Some(4))
        );
    }

    #[test]
    fn json_syntax_error_gives_line_and_column() {
        let err = read_json("t.json", "[\n {\"a\": \"1\"},\n {\"a\" \"2\"}\n]", &COLUMNS)
            .unwrap_err()
            .to_string();
        assert_eq!(err, "t.json:3:7: invalid JSON: expected `:`");
    }

    #[test]
    fn json_top_level_must_be_an_array() {
        let err = read_json("t.json", "\n{\"a\": \"1\"}", &COLUMNS)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "t.json:2:1: expected a JSON array of things, like [{\"a\": ...}]; found an object"
        );
    }

    #[test]
    fn json_entry_that_is_not_an_object_is_named_by_position() {
        let err = read_json("t.json", "[{\"a\": \"1\"},\n \"x\"]", &COLUMNS).unwrap_err();
        assert_eq!(
            err.to_string(),
            "t.json:2:2: entry 2: expected an object for each thing; found a string"
        );
    }

    #[test]
    fn json_values_of_the_wrong_type_are_refused() {
        let err = read_json("t.json", "[{\"a\": true}]", &COLUMNS).unwrap_err();
        assert_eq!(
            err.to_string(),
            "t.json:1:3: entry 1, field \"a\": expected a string; found true"
        );
        let err = read_json("t.json", "[{\"list\": [1]}]", &COLUMNS).unwrap_err();
        assert!(
            err.to_string()
                .ends_with("expected a list of strings; found the number 1 in the list")
        );
    }

    #[test]
    fn json_key_given_twice_under_two_spellings_is_refused() {
        let err = read_json("t.json", "[{\"b\": \"1\", \"Bee\": \"2\"}]", &COLUMNS).unwrap_err();
        assert_eq!(
            err.to_string(),
            "t.json:1:13: entry 1, field \"Bee\": \"b\" already gives the b; keep one"
        );
    }

    #[test]
    fn json_key_repeated_verbatim_is_refused_rather_than_last_one_wins() {
        let err = read_json("t.json", "[{\"a\": \"1\",\n  \"a\": \"2\"}]", &COLUMNS).unwrap_err();
        assert_eq!(
            err.to_string(),
            "t.json:2:3: entry 1, field \"a\": \"a\" already gives the a; keep one"
        );
    }

    #[test]
    fn json_null_is_an_absent_value_and_required_keys_are_checked() {
        let rows = read_json("t.json", "[{\"a\": null}]", &COLUMNS).unwrap();
        let err = rows[0].required("t.json", &COLUMNS, "a").err().unwrap();
        assert_eq!(
            err.to_string(),
            "t.json:1:2: entry 1, field \"a\": the key is missing; every thing needs one"
        );
    }

    #[test]
    fn json_empty_file_and_empty_array() {
        let err = read_json("t.json", "  ", &COLUMNS).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("t.json:1: the file is empty; expected a JSON array")
        );
        assert!(read_json("t.json", "[]", &COLUMNS).unwrap().is_empty());
    }

    #[test]
    fn locating_entries_skips_nested_values_and_escaped_quotes() {
        let text = r#"[{"a\"b": {"x": [1, "]"]}, "c": "d,e"}, 5, {"f": 1}]"#;
        let spans = locate_entries(text);
        let keys: Vec<Vec<&str>> = spans
            .iter()
            .map(|s| s.keys.iter().map(|(k, _)| k.as_str()).collect())
            .collect();
        assert_eq!(keys, [vec!["a\"b", "c"], vec![], vec!["f"]]);
        assert_eq!(spans[1].start, text.find('5').unwrap());
    }
}
