/// RFC 4180 records, each with the line it starts on (for messages): fields separated by commas,
/// quoted with `"` (a quote inside doubled), CRLF or LF line ends, a UTF-8 byte-order mark ignored.
/// Hand-written rather than a CSV package, because every error must name its line.
struct CSVRecords {
    struct Record { let line: Int; let fields: [String] }
    struct Failure: Error { let line: Int; let message: String }

    static func parse(_ text: String) throws(Failure) -> [Record] {
        var records: [Record] = []
        var fields: [String] = [], field = "", quoted = false, fieldWasQuoted = false
        var line = 1, recordLine = 1
        var scalars = Array(text.unicodeScalars)
        if scalars.first == "\u{FEFF}" { scalars.removeFirst() }
        var i = 0
        func endRecord() {
            fields.append(field)
            if !(fields.count == 1 && fields[0].isEmpty && !fieldWasQuoted) { records.append(Record(line: recordLine, fields: fields)) }
            fields = []; field = ""; fieldWasQuoted = false
        }
        while i < scalars.count {
            let c = scalars[i]
            if quoted {
                if c == "\"" {
                    if i + 1 < scalars.count, scalars[i + 1] == "\"" { field.unicodeScalars.append("\""); i += 1 } else { quoted = false }
                } else {
                    if c == "\n" { line += 1 }
                    field.unicodeScalars.append(c)
                }
            } else {
                switch c {
                case "\"":
                    guard field.isEmpty, !fieldWasQuoted else { throw Failure(line: line, message: "a quote inside an unquoted field (quote the whole field and double the quote)") }
                    quoted = true; fieldWasQuoted = true
                case ",":
                    fields.append(field); field = ""; fieldWasQuoted = false
                case "\r" where i + 1 < scalars.count && scalars[i + 1] == "\n":
                    break
                case "\n":
                    endRecord(); line += 1; recordLine = line
                default:
                    guard !fieldWasQuoted else { throw Failure(line: line, message: "text after a closing quote") }
                    field.unicodeScalars.append(c)
                }
            }
            i += 1
        }
        if quoted { throw Failure(line: recordLine, message: "a quoted field is not closed") }
        if !field.isEmpty || !fields.isEmpty || fieldWasQuoted { endRecord() }
        return records
    }
}
