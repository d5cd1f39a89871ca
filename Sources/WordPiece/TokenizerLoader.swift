import Foundation

/// Reads a tokenizer from a model folder in Hugging Face layout.
///
/// `tokenizer.json` is used when present (its `BertNormalizer`, `WordPiece`
/// model, added tokens and post-processor); otherwise `vocab.txt` with the
/// options of `tokenizer_config.json`, and Hugging Face's defaults for anything
/// not given.
enum TokenizerLoader {
    static func load(folder: String) throws(TokenizerError) -> (TokenizerOptions, Vocabulary) {
        let base = URL(fileURLWithPath: folder)
        let json = base.appendingPathComponent("tokenizer.json").path
        let vocabFile = base.appendingPathComponent("vocab.txt").path
        if FileManager.default.fileExists(atPath: json) {
            return try fromTokenizerJSON(json)
        }
        guard FileManager.default.fileExists(atPath: vocabFile) else { throw .missingVocabulary(folder: folder) }
        var options = TokenizerOptions()
        let configFile = base.appendingPathComponent("tokenizer_config.json").path
        if FileManager.default.fileExists(atPath: configFile) {
            try applyTokenizerConfig(configFile, to: &options)
        }
        let text: String
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: vocabFile))
            guard let decoded = String(data: data, encoding: .utf8) else {
                throw TokenizerError.unreadable(file: vocabFile, reason: "not UTF-8 text")
            }
            text = decoded
        } catch let error as TokenizerError {
            throw error
        } catch {
            throw .unreadable(file: vocabFile, reason: error.localizedDescription)
        }
        let vocabulary = Vocabulary(vocabText: text)
        if vocabulary.ids.count < 5 || text.contains("\0") {
            throw .unreadable(file: vocabFile, reason: "does not look like a WordPiece vocabulary (one token per line)")
        }
        return (options, vocabulary)
    }

    private static func readJSONObject(_ file: String) throws(TokenizerError) -> [String: Any] {
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: file))
            guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw TokenizerError.unreadable(file: file, reason: "expected a JSON object")
            }
            return object
        } catch let error as TokenizerError {
            throw error
        } catch {
            throw .unreadable(file: file, reason: "invalid JSON (\(error.localizedDescription))")
        }
    }

    private static func fromTokenizerJSON(_ file: String) throws(TokenizerError) -> (TokenizerOptions, Vocabulary) {
        let root = try readJSONObject(file)
        var options = TokenizerOptions()

        switch root["normalizer"] {
        case let normalizer as [String: Any]:
            guard normalizer["type"] as? String == "BertNormalizer" else {
                throw .unsupported(file: file, what: "normalizer \(normalizer["type"] ?? "?")")
            }
            options.cleanText = normalizer["clean_text"] as? Bool ?? true
            options.handleChineseChars = normalizer["handle_chinese_chars"] as? Bool ?? true
            options.stripAccents = normalizer["strip_accents"] as? Bool
            options.lowercase = normalizer["lowercase"] as? Bool ?? true
        default:
            // No normalizer: the text is used as it is.
            options.cleanText = false
            options.handleChineseChars = false
            options.stripAccents = false
            options.lowercase = false
        }
        if let pre = root["pre_tokenizer"] as? [String: Any], pre["type"] as? String != "BertPreTokenizer" {
            throw .unsupported(file: file, what: "pre_tokenizer \(pre["type"] ?? "?")")
        }
        guard let model = root["model"] as? [String: Any], model["type"] as? String == "WordPiece" || model["type"] == nil,
              let vocab = model["vocab"] as? [String: Any]
        else {
            throw .unsupported(file: file, what: "model \((root["model"] as? [String: Any])?["type"] ?? "without a WordPiece vocab")")
        }
        options.unknownToken = model["unk_token"] as? String ?? options.unknownToken
        options.continuingSubwordPrefix = model["continuing_subword_prefix"] as? String ?? options.continuingSubwordPrefix
        options.maxInputCharsPerWord = (model["max_input_chars_per_word"] as? NSNumber)?.intValue ?? options.maxInputCharsPerWord

        var ids: [String: Int32] = [:]
        ids.reserveCapacity(vocab.count)
        for (token, id) in vocab {
            guard let number = id as? NSNumber else { throw .unreadable(file: file, reason: "model.vocab[\(token)] is not a number") }
            ids[token] = Int32(truncating: number)
        }
        if let added = root["added_tokens"] as? [[String: Any]] {
            options.addedTokens = added.compactMap { $0["content"] as? String }
            for entry in added {
                if let content = entry["content"] as? String, let id = entry["id"] as? NSNumber { ids[content] = Int32(truncating: id) }
            }
        }
        if let processor = root["post_processor"] as? [String: Any] {
            switch processor["type"] as? String {
            case "TemplateProcessing":
                let single = processor["single"] as? [[String: Any]] ?? []
                let specials = single.compactMap { ($0["SpecialToken"] as? [String: Any])?["id"] as? String }
                if single.first?["SpecialToken"] != nil, let first = specials.first { options.classifierToken = first }
                if single.last?["SpecialToken"] != nil, let last = specials.last { options.separatorToken = last }
            case "BertProcessing":
                if let cls = (processor["cls"] as? [Any])?.first as? String { options.classifierToken = cls }
                if let sep = (processor["sep"] as? [Any])?.first as? String { options.separatorToken = sep }
            default:
                break
            }
        }
        if let padding = root["padding"] as? [String: Any], let pad = padding["pad_token"] as? String {
            options.paddingToken = pad
        }
        return (options, Vocabulary(ids: ids))
    }

    private static func applyTokenizerConfig(_ file: String, to options: inout TokenizerOptions) throws(TokenizerError) {
        let config = try readJSONObject(file)
        // Special tokens are either strings or {"content": ...} objects.
        func token(_ key: String) -> String? {
            (config[key] as? String) ?? ((config[key] as? [String: Any])?["content"] as? String)
        }
        options.lowercase = config["do_lower_case"] as? Bool ?? true
        options.stripAccents = config["strip_accents"] as? Bool
        options.handleChineseChars = config["tokenize_chinese_chars"] as? Bool ?? true
        options.unknownToken = token("unk_token") ?? options.unknownToken
        options.classifierToken = token("cls_token") ?? options.classifierToken
        options.separatorToken = token("sep_token") ?? options.separatorToken
        options.paddingToken = token("pad_token") ?? options.paddingToken
        options.addedTokens = ["pad_token", "unk_token", "cls_token", "sep_token", "mask_token"].compactMap(token)
    }
}
