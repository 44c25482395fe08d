#include "steps/common/s3_xml.h"

#include <charconv>
#include <limits>
#include <pugixml.hpp>
#include <sstream>

#include "engine/util/strings.h"

namespace runbook {
namespace {

using Node = pugi::xml_node;

// parse_doctype keeps a DOCTYPE in the tree so that it can be refused; whitespace-only text
// is kept when it is an element's only content (a key may be " ").
constexpr unsigned kParse =
    pugi::parse_default | pugi::parse_doctype | pugi::parse_ws_pcdata_single;
constexpr const char* kS3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/";

// A numeric reference's code point is one XML can carry; S3 sends the C0 controls (other
// than NUL) as references too. NUL would cut pugixml's text short.
bool ReferableCodePoint(uint64_t c) {
  return (c >= 1 && c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF);
}

// "amp", "#39", "#x27": a predefined entity or a character reference to a referable code
// point. Anything else pugixml would keep as text or decode to invalid UTF-8.
bool ValidReference(std::string_view ref) {
  for (const char* name : {"amp", "lt", "gt", "quot", "apos"})
    if (ref == name) return true;
  if (ref.size() < 2 || ref[0] != '#') return false;
  bool hex = ref[1] == 'x';
  std::string_view digits = ref.substr(hex ? 2 : 1);
  uint64_t c = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), c, hex ? 16 : 10);
  return !digits.empty() && digits.size() <= 8 && ec == std::errc() &&
         end == digits.data() + digits.size() && ReferableCodePoint(c);
}

// What XML forbids and pugixml lets through, or "": invalid UTF-8, raw control characters,
// a bad reference ('&' is literal only inside CDATA, comments and processing instructions).
std::string LexicalProblem(std::string_view body) {
  if (size_t bad = FindInvalidUtf8(body); bad != std::string_view::npos)
    return "not XML: invalid UTF-8 at offset " + std::to_string(bad);
  for (size_t i = 0; i < body.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(body[i]);
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
      return "not XML: a raw control character at offset " + std::to_string(i);
  }
  static const std::pair<std::string_view, std::string_view> kLiteral[] = {
      {"<![CDATA[", "]]>"}, {"<!--", "-->"}, {"<?", "?>"}};
  for (size_t i = 0; i < body.size(); ++i) {
    for (const auto& [open, close] : kLiteral)
      if (body.substr(i, open.size()) == open) {
        i = body.find(close, i + open.size());
        if (i == std::string_view::npos) return "";  // unterminated: the parser says so
        i += close.size() - 1;
      }
    if (i >= body.size() || body[i] != '&') continue;
    size_t semi = body.find(';', i);
    if (semi == std::string_view::npos || !ValidReference(body.substr(i + 1, semi - i - 1)))
      return "not XML: a bad reference '" + std::string(body.substr(i, 12)) + "' at offset " +
             std::to_string(i);
    i = semi;
  }
  return "";
}

// Loads `body` whose one root element must be `root`; "" or why not. The checks that name
// what came instead (an <html> page, an <Error>) go before the stricter lexical ones.
std::string Load(const std::string& body, const char* root, pugi::xml_document& doc) {
  if (Trim(body).empty()) return "the body is empty";
  pugi::xml_parse_result r = doc.load_buffer(body.data(), body.size(), kParse, pugi::encoding_utf8);
  if (!r)
    return std::string("not XML: ") + r.description() + " at offset " + std::to_string(r.offset);
  int elements = 0;
  bool doctype = false;
  for (Node n : doc.children()) {
    elements += n.type() == pugi::node_element;
    doctype = doctype || n.type() == pugi::node_doctype;
  }
  if (elements != 1) return "not XML: " + std::to_string(elements) + " root elements";
  Node top = doc.document_element();
  if (std::string_view(top.name()) == "Error" && std::string_view(root) != "Error")
    return std::string("an S3 error: ") + top.child("Code").text().get() + " " +
           top.child("Message").text().get();
  if (std::string_view(top.name()) != root)
    return std::string("the root element is <") + top.name() + ">";
  if (doctype) return "it has a DOCTYPE, which S3 never sends";
  return LexicalProblem(body);
}

// An element's text: its text and CDATA children joined; markup inside is refused.
Result<std::string> Text(Node n) {
  std::string out;
  for (Node c : n.children()) {
    if (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata)
      out += c.value();
    else if (c.type() == pugi::node_element)
      return Status::Error("<" + std::string(n.name()) + "> holds an element <" + c.name() + ">");
  }
  return out;
}

// The text of `parent`'s child `name`, which must be there; `where` names the parent.
Result<std::string> Field(Node parent, const char* name, const std::string& where) {
  Node n = parent.child(name);
  if (!n) return Status::Error(where + " has no <" + name + ">");
  return Text(n);
}

template <typename T>
Result<T> Parse(const std::string& body, const char* root, Result<T> (*read)(Node)) {
  pugi::xml_document doc;
  std::string why = Load(body, root, doc);
  if (why.empty()) {
    Result<T> r = read(doc.document_element());
    if (r.ok()) return r;
    why = r.status().message();
  }
  const char* article =
      std::string_view("AEIOU").find(root[0]) == std::string_view::npos ? "a" : "an";
  return Status::Error(std::string("is not ") + article + " " + root + " (" + why + ")");
}

std::string Unquote(std::string s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return s;
}

Result<S3ListedObject> ReadListed(Node c, size_t n) {
  std::string where = "<Contents> " + std::to_string(n);
  auto key = Field(c, "Key", where);
  if (!key.ok()) return key.status();
  if (key.value().empty()) return Status::Error(where + " has an empty <Key>");
  auto size_text = Field(c, "Size", "<Contents> '" + key.value() + "'");
  if (!size_text.ok()) return size_text.status();
  std::optional<uint64_t> size = ParseDecimal(size_text.value());
  if (!size)
    return Status::Error("<Size> '" + size_text.value() + "' of '" + key.value() +
                         "' is not an integer from 0 to " +
                         std::to_string(std::numeric_limits<int64_t>::max()));
  std::string etag;
  if (c.child("ETag")) {
    auto e = Text(c.child("ETag"));
    if (!e.ok()) return e.status();
    etag = Unquote(e.value());
  }
  return S3ListedObject{key.value(), *size, etag};
}

Result<S3ListPage> ReadListPage(Node root) {
  S3ListPage page;
  size_t n = 0;
  for (Node c : root.children("Contents")) {
    auto o = ReadListed(c, ++n);
    if (!o.ok()) return o.status();
    page.objects.push_back(std::move(o).value());
  }
  auto truncated = Field(root, "IsTruncated", "<ListBucketResult>");
  if (!truncated.ok()) return truncated.status();
  if (truncated.value() != "true" && truncated.value() != "false")
    return Status::Error("<IsTruncated> '" + truncated.value() + "' is not true or false");
  page.is_truncated = truncated.value() == "true";
  if (!page.is_truncated) return page;
  auto token = Field(root, "NextContinuationToken", "a truncated <ListBucketResult>");
  if (!token.ok()) return token.status();
  if (token.value().empty()) return Status::Error("<NextContinuationToken> is empty");
  page.next_token = token.value();
  return page;
}

Result<std::string> ReadUploadId(Node root) {
  auto id = Field(root, "UploadId", "<InitiateMultipartUploadResult>");
  if (id.ok() && id.value().empty()) return Status::Error("<UploadId> is empty");
  return id;
}

Result<std::string> ReadCompleteEtag(Node root) {
  auto etag = Field(root, "ETag", "<CompleteMultipartUploadResult>");
  if (!etag.ok()) return etag;
  if (Unquote(etag.value()).empty()) return Status::Error("<ETag> is empty");
  return Unquote(etag.value());
}

Result<S3DeleteResult> ReadDeleteResult(Node root) {
  S3DeleteResult out;
  for (Node c : root.children()) {
    std::string name = c.name();
    if (name != "Deleted" && name != "Error") continue;
    auto key = Field(c, "Key", "<" + name + ">");
    if (!key.ok()) return key.status();
    if (name == "Deleted") {
      out.deleted.push_back(key.value());
      continue;
    }
    auto code = Field(c, "Code", "<Error> of '" + key.value() + "'");
    if (!code.ok()) return code.status();
    auto message = c.child("Message") ? Text(c.child("Message")) : Result<std::string>("");
    if (!message.ok()) return message.status();
    out.errors.push_back({key.value(), code.value(), message.value()});
  }
  return out;
}

Result<S3Error> ReadError(Node root) {
  auto code = Field(root, "Code", "<Error>");
  if (!code.ok()) return code.status();
  if (code.value().empty()) return Status::Error("<Code> is empty");
  auto message = root.child("Message") ? Text(root.child("Message")) : Result<std::string>("");
  if (!message.ok()) return message.status();
  return S3Error{code.value(), message.value()};
}

// The document as bytes: UTF-8, no indentation (whitespace inside a key is the key's).
std::string Serialize(const pugi::xml_document& doc) {
  std::ostringstream out;
  doc.save(out, "", pugi::format_raw, pugi::encoding_utf8);
  return out.str();
}

Node AddText(Node parent, const char* name, const std::string& text) {
  Node n = parent.append_child(name);
  n.append_child(pugi::node_pcdata).set_value(text.c_str());
  return n;
}

}  // namespace

Result<S3ListPage> ParseListPage(const std::string& body) {
  return Parse<S3ListPage>(body, "ListBucketResult", ReadListPage);
}
Result<std::string> ParseInitiateMultipart(const std::string& body) {
  return Parse<std::string>(body, "InitiateMultipartUploadResult", ReadUploadId);
}
Result<std::string> ParseCompleteMultipart(const std::string& body) {
  return Parse<std::string>(body, "CompleteMultipartUploadResult", ReadCompleteEtag);
}
Result<S3DeleteResult> ParseDeleteResult(const std::string& body) {
  return Parse<S3DeleteResult>(body, "DeleteResult", ReadDeleteResult);
}
Result<S3Error> ParseError(const std::string& body) {
  return Parse<S3Error>(body, "Error", ReadError);
}

bool XmlCanCarry(const std::string& key) {
  for (char c : key)
    if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n') return false;
  return FindInvalidUtf8(key) == std::string::npos;
}

std::string DeleteObjectsBody(const std::vector<std::string>& keys) {
  pugi::xml_document doc;
  Node del = doc.append_child("Delete");
  del.append_attribute("xmlns").set_value(kS3Namespace);
  AddText(del, "Quiet", "false");
  for (const std::string& key : keys) AddText(del.append_child("Object"), "Key", key);
  return Serialize(doc);
}

std::string CompleteMultipartBody(const std::vector<std::string>& etags) {
  pugi::xml_document doc;
  Node done = doc.append_child("CompleteMultipartUpload");
  done.append_attribute("xmlns").set_value(kS3Namespace);
  for (size_t i = 0; i < etags.size(); ++i) {
    Node part = done.append_child("Part");
    AddText(part, "PartNumber", std::to_string(i + 1));
    AddText(part, "ETag", etags[i]);
  }
  return Serialize(doc);
}

std::optional<uint64_t> ParseDecimal(std::string_view text) {
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || text[0] == '+' || text[0] == '-' || ec != std::errc() ||
      end != text.data() + text.size() ||
      n > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
    return std::nullopt;
  return n;
}

}  // namespace runbook
