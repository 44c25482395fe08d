#include "steps/common/s3_xml.h"

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlwriter.h>

#include <cctype>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <mutex>

#include "engine/util/strings.h"
#include "steps/common/sigv4.h"

namespace runbook {
namespace {

using Node = const xmlNode*;
constexpr const char* kS3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/";

// libxml2's global tables are built once, before the first parse or write of any thread.
void InitLibxml2() {
  static std::once_flag once;
  std::call_once(once, [] { xmlInitParser(); });
}

// Never the network, no DTD loaded, no entity substituted (S3 declares none: a DOCTYPE is
// refused before its subset is read, below), nothing printed: errors go to OnError.
constexpr int kParseOptions = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;

struct ParseState {   // one parse's findings, reached through the context's _private
  std::string error;  // libxml2's first error, with its line and column
  std::optional<std::string> doctype;  // the name a <!DOCTYPE> declared; parsing stopped there
};
ParseState& StateOf(void* ctxt) {
  return *static_cast<ParseState*>(static_cast<xmlParserCtxtPtr>(ctxt)->_private);
}

// The context's structured error handler: keeps the first error, prints nothing.
void OnError(void* ctxt, xmlErrorPtr e) {
  ParseState& state = StateOf(ctxt);
  if (e == nullptr || e->level < XML_ERR_ERROR || !state.error.empty()) return;
  std::string message = e->message ? e->message : "error " + std::to_string(e->code);
  for (char& c : message)
    if (c == '\n') c = ' ';
  state.error = std::string(Trim(message)) + " at line " + std::to_string(e->line) + ", column " +
                std::to_string(e->int2);
}

// A DOCTYPE: stop before its internal subset, so no entity is ever declared or expanded.
void OnDoctype(void* ctxt, const xmlChar* name, const xmlChar*, const xmlChar*) {
  StateOf(ctxt).doctype = name ? reinterpret_cast<const char*>(name) : "";
  xmlStopParser(static_cast<xmlParserCtxtPtr>(ctxt));
}

struct FreeDoc {
  void operator()(xmlDocPtr d) const { xmlFreeDoc(d); }
};
using Doc = std::unique_ptr<xmlDoc, FreeDoc>;
struct FreeCtxt {
  void operator()(xmlParserCtxtPtr c) const { xmlFreeParserCtxt(c); }
};

// `body` as a well-formed document without a DOCTYPE, or why not.
Result<Doc> ReadDocument(const std::string& body) {
  if (body.size() > static_cast<size_t>(std::numeric_limits<int>::max()))
    return Status::Error("the body is larger than 2 GiB");
  InitLibxml2();
  std::unique_ptr<xmlParserCtxt, FreeCtxt> ctxt(
      xmlCreateMemoryParserCtxt(body.data(), static_cast<int>(body.size())));
  if (!ctxt) return Status::Error("libxml2 could not make a parser (out of memory)");
  ParseState state;
  xmlCtxtUseOptions(ctxt.get(), kParseOptions);
  ctxt->_private = &state;
  ctxt->sax->serror = OnError;
  ctxt->sax->internalSubset = OnDoctype;
  xmlParseDocument(ctxt.get());
  Doc doc(ctxt->myDoc);
  ctxt->myDoc = nullptr;
  if (state.doctype)
    return Status::Error("it has a <!DOCTYPE " + state.doctype->substr(0, 40) +
                         ">, which S3 never sends");
  if (!ctxt->wellFormed || !doc)
    return Status::Error("not XML: " + (state.error.empty() ? "not well-formed" : state.error));
  return doc;
}

bool Is(Node n, const char* name) {
  return n->type == XML_ELEMENT_NODE &&
         std::strcmp(reinterpret_cast<const char*>(n->name), name) == 0;
}
std::string NameOf(Node n) { return reinterpret_cast<const char*>(n->name); }

Node Child(Node parent, const char* name) {
  for (Node c = parent->children; c != nullptr; c = c->next)
    if (Is(c, name)) return c;
  return nullptr;
}

// An element's text: its text and CDATA children joined (comments skipped); markup inside
// is refused.
Result<std::string> Text(Node n) {
  std::string out;
  for (Node c = n->children; c != nullptr; c = c->next) {
    if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content)
      out += reinterpret_cast<const char*>(c->content);
    else if (c->type == XML_ELEMENT_NODE || c->type == XML_ENTITY_REF_NODE)
      return Status::Error(
          "<" + NameOf(n) + "> holds " +
          (c->type == XML_ELEMENT_NODE ? "an element <" + NameOf(c) + ">" : "an entity reference"));
  }
  return out;
}

// The text of `parent`'s child `name`, which must be there; `where` names the parent.
Result<std::string> Field(Node parent, const char* name, const std::string& where) {
  Node n = Child(parent, name);
  if (!n) return Status::Error(where + " has no <" + name + ">");
  return Text(n);
}
// The text of an optional child: "" when absent.
Result<std::string> OptionalField(Node parent, const char* name) {
  Node n = Child(parent, name);
  return n ? Text(n) : Result<std::string>("");
}

// Why the document is not one whose root element is `root`, or "".
std::string WrongRoot(Node top, const char* root) {
  if (Is(top, "Error") && std::strcmp(root, "Error") != 0) {
    auto code = OptionalField(top, "Code");
    auto message = OptionalField(top, "Message");
    return "an S3 error: " + (code.ok() ? code.value() : "") + " " +
           (message.ok() ? message.value() : "");
  }
  if (!Is(top, root)) return "the root element is <" + NameOf(top) + ">";
  return "";
}

template <typename T>
Result<T> Parse(const std::string& body, const char* root, Result<T> (*read)(Node)) {
  std::string why = Trim(body).empty() ? "the body is empty" : "";
  if (why.empty()) {
    Result<Doc> doc = ReadDocument(body);
    Node top = doc.ok() ? xmlDocGetRootElement(doc.value().get()) : nullptr;
    why = !doc.ok() ? doc.status().message() : !top ? "no root element" : WrongRoot(top, root);
    if (why.empty()) {
      Result<T> r = read(top);
      if (r.ok()) return r;
      why = r.status().message();
    }
  }
  const char* article =
      std::string_view("AEIOU").find(root[0]) == std::string_view::npos ? "a" : "an";
  return Status::Error(std::string("is not ") + article + " " + root + " (" + why + ")");
}

std::string Unquote(std::string s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return s;
}

// A key sent with encoding-type=url: percent-encoded, '+' for a space (as AWS and MinIO
// send it); the result must be UTF-8 as every key is.
Result<std::string> UrlDecodeKey(std::string text) {
  auto hex = [&](size_t i) {
    return i < text.size() && std::isxdigit(static_cast<unsigned char>(text[i]));
  };
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && (!hex(i + 1) || !hex(i + 2)))
      return Status::Error("<Key> '" + text + "' is not URL-encoded (encoding-type=url)");
    if (text[i] == '+') text[i] = ' ';
  }
  std::string key = UriDecode(text);
  if (FindInvalidUtf8(key) != std::string::npos)
    return Status::Error("<Key> '" + text + "' is not UTF-8 once URL-decoded");
  return key;
}

Result<S3ListedObject> ReadListed(Node c, size_t n, bool url_encoded) {
  std::string where = "<Contents> " + std::to_string(n);
  auto key = Field(c, "Key", where);
  if (key.ok() && url_encoded) key = UrlDecodeKey(key.value());
  if (!key.ok()) return key.status();
  if (key.value().empty()) return Status::Error(where + " has an empty <Key>");
  auto size_text = Field(c, "Size", "<Contents> '" + key.value() + "'");
  if (!size_text.ok()) return size_text.status();
  std::optional<uint64_t> size = ParseDecimal(size_text.value());
  if (!size)
    return Status::Error("<Size> '" + size_text.value() + "' of '" + key.value() +
                         "' is not an integer from 0 to " +
                         std::to_string(std::numeric_limits<int64_t>::max()));
  auto etag = OptionalField(c, "ETag");
  if (!etag.ok()) return etag.status();
  return S3ListedObject{key.value(), *size, Unquote(etag.value())};
}

Result<S3ListPage> ReadListPage(Node root) {
  S3ListPage page;
  auto encoding = OptionalField(root, "EncodingType");  // absent when the server ignored it
  if (!encoding.ok()) return encoding.status();
  if (encoding.value() != "" && encoding.value() != "url")
    return Status::Error("<EncodingType> '" + encoding.value() + "' is not url");
  size_t n = 0;
  for (Node c = root->children; c != nullptr; c = c->next) {
    if (!Is(c, "Contents")) continue;
    auto o = ReadListed(c, ++n, encoding.value() == "url");
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

// One <Deleted> or <Error> of a DeleteResult into `out`.
Status ReadDeleteEntry(Node c, S3DeleteResult& out) {
  std::string name = NameOf(c);
  auto key = Field(c, "Key", "<" + name + ">");
  if (!key.ok()) return key.status();
  if (name == "Deleted") {
    out.deleted.push_back(key.value());
    return Status::Ok();
  }
  auto code = Field(c, "Code", "<Error> of '" + key.value() + "'");
  if (!code.ok()) return code.status();
  auto message = OptionalField(c, "Message");
  if (!message.ok()) return message.status();
  out.errors.push_back({key.value(), code.value(), message.value()});
  return Status::Ok();
}

Result<S3DeleteResult> ReadDeleteResult(Node root) {
  S3DeleteResult out;
  for (Node c = root->children; c != nullptr; c = c->next) {
    if (!Is(c, "Deleted") && !Is(c, "Error")) continue;
    if (Status s = ReadDeleteEntry(c, out); !s.ok()) return s;
  }
  return out;
}

Result<S3Error> ReadError(Node root) {
  auto code = Field(root, "Code", "<Error>");
  if (!code.ok()) return code.status();
  if (code.value().empty()) return Status::Error("<Code> is empty");
  auto message = OptionalField(root, "Message");
  if (!message.ok()) return message.status();
  return S3Error{code.value(), message.value()};
}

// A request body written by xmlTextWriter: UTF-8, no indentation (whitespace inside a key is
// the key's), text escaped by libxml2 (& < > " and CR as &#13;). A writer call fails only
// when memory runs out.
class BodyWriter {
 public:
  explicit BodyWriter(const char* root)
      : buffer_((InitLibxml2(), xmlBufferCreate())), writer_(xmlNewTextWriterMemory(buffer_, 0)) {
    Check(writer_ ? xmlTextWriterStartDocument(writer_, nullptr, nullptr, nullptr) : -1);
    Check(xmlTextWriterStartElement(writer_, BAD_CAST root));
    Check(xmlTextWriterWriteAttribute(writer_, BAD_CAST "xmlns", BAD_CAST kS3Namespace));
  }
  ~BodyWriter() {
    if (writer_) xmlFreeTextWriter(writer_);
    if (buffer_) xmlBufferFree(buffer_);
  }
  BodyWriter(const BodyWriter&) = delete;
  BodyWriter& operator=(const BodyWriter&) = delete;

  void Start(const char* name) { Check(xmlTextWriterStartElement(writer_, BAD_CAST name)); }
  void End() { Check(xmlTextWriterEndElement(writer_)); }
  void Element(const char* name, const std::string& text) {
    Check(xmlTextWriterWriteElement(writer_, BAD_CAST name, BAD_CAST text.c_str()));
  }
  std::string Finish() {
    Check(xmlTextWriterEndDocument(writer_));
    Check(xmlTextWriterFlush(writer_));
    return std::string(reinterpret_cast<const char*>(xmlBufferContent(buffer_)),
                       static_cast<size_t>(xmlBufferLength(buffer_)));
  }

 private:
  static void Check(int rc) {
    if (rc >= 0) return;
    std::fputs("runbook: libxml2 could not write a request body (out of memory)\n", stderr);
    std::abort();
  }
  xmlBufferPtr buffer_;
  xmlTextWriterPtr writer_;
};

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
  return FindInvalidUtf8(key) == std::string::npos &&
         key.find("\xef\xbf\xbe") == std::string::npos &&  // U+FFFE and U+FFFF are not
         key.find("\xef\xbf\xbf") == std::string::npos;    // XML characters either
}

std::string DeleteObjectsBody(const std::vector<std::string>& keys) {
  BodyWriter w("Delete");
  w.Element("Quiet", "false");
  for (const std::string& key : keys) {
    w.Start("Object");
    w.Element("Key", key);
    w.End();
  }
  return w.Finish();
}

std::string CompleteMultipartBody(const std::vector<std::string>& etags) {
  BodyWriter w("CompleteMultipartUpload");
  for (size_t i = 0; i < etags.size(); ++i) {
    w.Start("Part");
    w.Element("PartNumber", std::to_string(i + 1));
    w.Element("ETag", etags[i]);
    w.End();
  }
  return w.Finish();
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
