#include "steps/common/s3_xml.h"

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlwriter.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>

#include "engine/util/strings.h"
#include "steps/common/sigv4.h"

namespace runbook {
namespace {

using Node = const xmlNode*;
constexpr const char* kS3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/";
// s3rver's answers carry this misspelling of it; accepted as S3's.
constexpr const char* kS3rverNamespace = "http://doc.s3.amazonaws.com/2006-03-01/";

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

// A name from the answer, whole when up to `limit` bytes, else only its length: never a cut
// piece, which the redactor could not recognise as part of a secret (issue 13 A).
std::string Whole(const std::string& text, size_t limit, const std::string& what) {
  if (text.size() <= limit) return "'" + text + "'";
  return "a " + what + " of " + std::to_string(text.size()) + " bytes";
}

struct FreeDoc {
  void operator()(xmlDocPtr d) const { xmlFreeDoc(d); }
};
using Doc = std::unique_ptr<xmlDoc, FreeDoc>;
struct FreeCtxt {
  void operator()(xmlParserCtxtPtr c) const { xmlFreeParserCtxt(c); }
};

// S3's elements carry no attribute but a namespace declaration. libxml2 checks a start tag's
// attributes for duplicates pairwise: 50,000 attributes on one element (a 539 KB answer)
// took 47 s, past every timeout (breakH H15). So one linear pass refuses a start tag with
// more than this many attributes (counted as `=` outside quotes) before libxml2 sees it.
constexpr int kMaxAttributes = 16;

Status BoundAttributes(const std::string& body) {
  for (size_t i = body.find('<'); i != std::string::npos; i = body.find('<', i + 1)) {
    if (i + 1 < body.size() && std::strchr("!?/", body[i + 1]) != nullptr) continue;
    int attributes = 0;
    char quote = 0;
    for (++i; i < body.size() && (quote != 0 || body[i] != '>'); ++i) {
      char c = body[i];
      if (quote != 0) {
        if (c == quote) quote = 0;
      } else if (c == '"' || c == '\'') {
        quote = c;
      } else if (c == '=' && ++attributes > kMaxAttributes) {
        return Status::Error("an element has more than " + std::to_string(kMaxAttributes) +
                             " attributes; S3's carry none but xmlns");
      }
    }
    if (i >= body.size()) break;
  }
  return Status::Ok();
}

// `body` as a well-formed document without a DOCTYPE, or why not.
Result<Doc> ReadDocument(const std::string& body) {
  if (body.size() > static_cast<size_t>(std::numeric_limits<int>::max()))
    return Status::Error("the body is larger than 2 GiB");
  if (Status bounded = BoundAttributes(body); !bounded.ok()) return bounded;
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
    return Status::Error(state.doctype->size() <= 40
                             ? "it has a <!DOCTYPE " + *state.doctype + ">, which S3 never sends"
                             : "it has a <!DOCTYPE> (" + Whole(*state.doctype, 40, "name") +
                                   "), which S3 never sends");
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

// Where a document type has its elements, as S3's API reference defines them. A name in
// `slots` (or the root's) is "known": it is read only where a slot puts it, and an element of
// that name anywhere else (under an unknown wrapper, at another level) refuses the document.
// Unknown names are allowed anywhere (S3 adds fields), but never hold a known one.
struct Slot {
  std::string parent, name;
  bool many;  // may repeat under one parent; otherwise at most once
};
struct Schema {
  std::string root;
  std::vector<Slot> slots;
  // `spec`: "Parent: Child Child* ...; Parent: ...", '*' marking a name that may repeat.
  Schema(std::string root_name, const std::string& spec) : root(std::move(root_name)) {
    std::istringstream words(spec);
    std::string parent;
    for (std::string word; words >> word;) {
      if (word.back() == ';') word.pop_back();
      if (word.back() == ':')
        parent = word.substr(0, word.size() - 1);
      else
        slots.push_back({parent, word.substr(0, word.find('*')), word.back() == '*'});
    }
  }
  const Slot* Find(const std::string& parent, const std::string& name) const {
    for (const Slot& s : slots)
      if (parent == s.parent && name == s.name) return &s;
    return nullptr;
  }
  bool Known(const std::string& name) const {
    if (name == root) return true;
    for (const Slot& s : slots)
      if (name == s.name) return true;
    return false;
  }
};

const Schema kListSchema{
    "ListBucketResult",
    "ListBucketResult: Name Prefix KeyCount MaxKeys IsTruncated EncodingType ContinuationToken "
    "NextContinuationToken StartAfter Delimiter Contents* CommonPrefixes*; "
    "Contents: Key Size ETag LastModified StorageClass; CommonPrefixes: Prefix"};
const Schema kInitiateSchema{"InitiateMultipartUploadResult",
                             "InitiateMultipartUploadResult: Bucket Key UploadId"};
const Schema kCompleteSchema{"CompleteMultipartUploadResult",
                             "CompleteMultipartUploadResult: Location Bucket Key ETag"};
const Schema kDeleteSchema{"DeleteResult",
                           "DeleteResult: Deleted* Error*; Deleted: Key VersionId; "
                           "Error: Key VersionId Code Message"};
const Schema kErrorSchema{"Error", "Error: Code Message"};

// Why `n` is in a namespace other than none or S3's, or "".
std::string ForeignNamespace(Node n) {
  if (n->ns == nullptr || n->ns->href == nullptr) return "";
  const char* href = reinterpret_cast<const char*>(n->ns->href);
  if (std::strcmp(href, kS3Namespace) == 0 || std::strcmp(href, kS3rverNamespace) == 0) return "";
  return "<" + NameOf(n) + "> is in the namespace " + Whole(href, 80, "name") + ", not S3's";
}

// Why the elements under `n` break `schema`, or "" (recursive: libxml2 bounds the depth).
std::string Misplaced(Node n, const Schema& schema) {
  std::vector<std::string> once;  // single-valued names already met under `n`
  for (Node c = n->children; c != nullptr; c = c->next) {
    if (c->type != XML_ELEMENT_NODE) continue;
    std::string name = NameOf(c), where = "<" + name + "> inside <" + NameOf(n) + ">";
    if (std::string why = ForeignNamespace(c); !why.empty()) return why;
    const Slot* slot = schema.Find(NameOf(n), name);
    if (!slot && schema.Known(name)) return where + ", where S3 never puts it";
    if (slot && !slot->many) {
      if (std::find(once.begin(), once.end(), name) != once.end()) return "more than one " + where;
      once.push_back(name);
    }
    if (std::string why = Misplaced(c, schema); !why.empty()) return why;
  }
  return "";
}

// Why the document is not a `schema.root` document, or "".
std::string NotTheDocument(Node top, const Schema& schema) {
  std::string why = WrongRoot(top, schema.root.c_str());
  if (why.empty()) why = ForeignNamespace(top);
  return why.empty() ? Misplaced(top, schema) : why;
}

template <typename T>
Result<T> Parse(const std::string& body, const Schema& schema, Result<T> (*read)(Node)) {
  const char* root = schema.root.c_str();
  std::string why = Trim(body).empty() ? "the body is empty" : "";
  if (why.empty()) {
    Result<Doc> doc = ReadDocument(body);
    Node top = doc.ok() ? xmlDocGetRootElement(doc.value().get()) : nullptr;
    why = !doc.ok() ? doc.status().message()
          : !top    ? "no root element"
                    : NotTheDocument(top, schema);
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
  return S3ListedObject{key.value(), *size, UnquoteEtag(etag.value())};
}

// <IsTruncated> and <NextContinuationToken> into `page`; they must agree.
Status ReadTruncation(Node root, S3ListPage& page) {
  auto truncated = Field(root, "IsTruncated", "<ListBucketResult>");
  if (!truncated.ok()) return truncated.status();
  if (truncated.value() != "true" && truncated.value() != "false")
    return Status::Error("<IsTruncated> '" + truncated.value() + "' is not true or false");
  page.is_truncated = truncated.value() == "true";
  auto token = OptionalField(root, "NextContinuationToken");
  if (!token.ok()) return token.status();
  if (!page.is_truncated && !token.value().empty())
    return Status::Error("<IsTruncated> is false but there is a <NextContinuationToken>");
  if (page.is_truncated && !Child(root, "NextContinuationToken"))
    return Status::Error("a truncated <ListBucketResult> has no <NextContinuationToken>");
  if (page.is_truncated && token.value().empty())
    return Status::Error("<NextContinuationToken> is empty");
  page.next_token = token.value();
  return Status::Ok();
}

// <KeyCount>, when there, counts the page's <Contents> and <CommonPrefixes>.
Status CheckKeyCount(Node root, size_t contents) {
  Node n = Child(root, "KeyCount");
  if (n == nullptr) return Status::Ok();
  auto text = Text(n);
  if (!text.ok()) return text.status();
  size_t prefixes = 0;
  for (Node c = root->children; c != nullptr; c = c->next) prefixes += Is(c, "CommonPrefixes");
  std::optional<uint64_t> count = ParseDecimal(text.value());
  if (!count || *count != contents + prefixes)
    return Status::Error("<KeyCount> '" + text.value() + "' is not the " +
                         std::to_string(contents) + " <Contents> and " + std::to_string(prefixes) +
                         " <CommonPrefixes> it holds");
  return Status::Ok();
}

// What the page says it answers: <Name>, <Prefix>, <ContinuationToken>, <MaxKeys>,
// <StartAfter>, <Delimiter>, and the marks of another request's answer (<CommonPrefixes>,
// V1's <Marker>/<NextMarker>, no <KeyCount>).
Status ReadEcho(Node root, bool url_encoded, S3ListPage& page) {
  struct Echo {
    const char* name;
    std::string* into;
    bool encoded;  // URL-encoded under <EncodingType>url (as AWS does for these and <Key>)
  };
  const Echo echoes[] = {{"Name", &page.name, false},
                         {"Prefix", &page.prefix, true},
                         {"ContinuationToken", &page.continuation_token, false},
                         {"MaxKeys", &page.max_keys, false},
                         {"StartAfter", &page.start_after, true},
                         {"Delimiter", &page.delimiter, true}};
  for (const Echo& e : echoes) {
    auto field = OptionalField(root, e.name);
    if (field.ok() && url_encoded && e.encoded && !field.value().empty())
      field = UrlDecodeKey(field.value());
    if (!field.ok())
      return Status::Error("<" + std::string(e.name) + ">: " + field.status().message());
    *e.into = field.value();
  }
  for (Node c = root->children; c != nullptr; c = c->next) {
    page.common_prefixes += Is(c, "CommonPrefixes");
    if (page.v1_marker.empty() && (Is(c, "Marker") || Is(c, "NextMarker")))
      page.v1_marker = NameOf(c);
  }
  page.key_count = Child(root, "KeyCount") != nullptr;
  return Status::Ok();
}

Result<S3ListPage> ReadListPage(Node root) {
  S3ListPage page;
  auto encoding = OptionalField(root, "EncodingType");  // absent when the server ignored it
  if (!encoding.ok()) return encoding.status();
  if (encoding.value() != "" && encoding.value() != "url")
    return Status::Error("<EncodingType> '" + encoding.value() + "' is not url");
  std::set<std::string> keys;
  for (Node c = root->children; c != nullptr; c = c->next) {
    if (!Is(c, "Contents")) continue;
    auto o = ReadListed(c, page.objects.size() + 1, encoding.value() == "url");
    if (!o.ok()) return o.status();
    if (!keys.insert(o.value().key).second)
      return Status::Error("names the key '" + o.value().key + "' twice");
    page.objects.push_back(std::move(o).value());
  }
  if (Status s = CheckKeyCount(root, page.objects.size()); !s.ok()) return s;
  if (Status s = ReadTruncation(root, page); !s.ok()) return s;
  if (Status s = ReadEcho(root, encoding.value() == "url", page); !s.ok()) return s;
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
  if (UnquoteEtag(etag.value()).empty()) return Status::Error("<ETag> is empty");
  return UnquoteEtag(etag.value());
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
  std::set<std::string> named;  // one answer per key asked: a key named twice contradicts
  for (Node c = root->children; c != nullptr; c = c->next) {
    if (!Is(c, "Deleted") && !Is(c, "Error")) continue;
    if (Status s = ReadDeleteEntry(c, out); !s.ok()) return s;
    const std::string& key = Is(c, "Deleted") ? out.deleted.back() : out.errors.back().key;
    if (!named.insert(key).second) return Status::Error("names the key '" + key + "' twice");
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
  return Parse<S3ListPage>(body, kListSchema, ReadListPage);
}
Result<std::string> ParseInitiateMultipart(const std::string& body) {
  return Parse<std::string>(body, kInitiateSchema, ReadUploadId);
}
Result<std::string> ParseCompleteMultipart(const std::string& body) {
  return Parse<std::string>(body, kCompleteSchema, ReadCompleteEtag);
}
Result<S3DeleteResult> ParseDeleteResult(const std::string& body) {
  return Parse<S3DeleteResult>(body, kDeleteSchema, ReadDeleteResult);
}
Result<S3Error> ParseError(const std::string& body) {
  return Parse<S3Error>(body, kErrorSchema, ReadError);
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

std::string UnquoteEtag(std::string etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"')
    etag = etag.substr(1, etag.size() - 2);
  return etag;
}

}  // namespace runbook
