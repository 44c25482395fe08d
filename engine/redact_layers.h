// Views of a text with one layer of encoding taken off, for the Redactor (engine/redact.h):
// a secret that was encoded twice — JSON put into a URL or form (`curl --data-urlencode
// payload=JSON`), JSON inside a JSON string (structured logs), a percent-encoded value
// encoded again — is one form the patterns know (engine/redact_pattern.h) behind one more
// layer. Each byte of a view says which bytes of the text it came from, so a match found in
// the view masks those bytes. Internal to the Redactor.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace runbook {

struct DecodedView {
  std::string text;
  // text[k] came from source bytes [from[k], to[k]).
  std::vector<size_t> from, to;
};

// Every `%XX` (hex in either case) as its byte; nullopt when the text holds none.
std::optional<DecodedView> PercentDecoded(std::string_view text);
// Every JSON string escape (`\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`, `\uXXXX` in
// either case, a surrogate pair as one code point) as the UTF-8 it stands for (RFC 8259 7);
// nullopt when the text holds none.
std::optional<DecodedView> JsonUnescaped(std::string_view text);
// How many bytes at the end of `text` are an escape cut short (`%`, `%H`; `\`, `\u` to
// `\uHHH`): a text cut after them holds no whole escape there (0..5).
size_t PartialEscapeAtEnd(std::string_view text);

}  // namespace runbook
