// S3's XML documents: the AWS documentation's example answers, character references, and
// answers that are not the expected document (HTML, empty, truncated, another root).
#include "steps/common/s3_xml.h"

#include <catch2/catch.hpp>

#include "steps/common/s3.h"

using namespace runbook;

namespace {

// A ListObjectsV2 answer with `contents` (<Contents> elements) and IsTruncated false.
std::string Listing(const std::string& contents) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>b</Name>"
         "<Prefix></Prefix><KeyCount>1</KeyCount><MaxKeys>1000</MaxKeys>"
         "<IsTruncated>false</IsTruncated>" +
         contents + "</ListBucketResult>";
}
std::string Object(const std::string& key, const std::string& size = "7") {
  return "<Contents><Key>" + key +
         "</Key><LastModified>2009-10-12T17:50:30.000Z</LastModified>"
         "<ETag>&quot;fba9dede5f27731c9771645a39863328&quot;</ETag><Size>" +
         size + "</Size><StorageClass>STANDARD</StorageClass></Contents>";
}
// The one key of a listing holding Object(escaped), or the parse error.
std::string KeyOf(const std::string& escaped) {
  auto page = ParseListPage(Listing(Object(escaped)));
  if (!page.ok()) return page.status().message();
  return page.value().objects.at(0).key;
}
std::string Why(const std::string& body) {  // ParseListPage's refusal, "" when accepted
  auto page = ParseListPage(body);
  return page.ok() ? "" : page.status().message();
}

}  // namespace

TEST_CASE("ParseListPage reads AWS's ListObjectsV2 examples", "[steps][s3][xml]") {
  auto page = ParseListPage(R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
    <Name>bucket</Name>
    <Prefix/>
    <KeyCount>205</KeyCount>
    <MaxKeys>1000</MaxKeys>
    <IsTruncated>false</IsTruncated>
    <Contents>
        <Key>my-image.jpg</Key>
        <LastModified>2009-10-12T17:50:30.000Z</LastModified>
        <ETag>"fba9dede5f27731c9771645a39863328"</ETag>
        <Size>434234</Size>
        <StorageClass>STANDARD</StorageClass>
    </Contents>
    <Contents>
        <Key>my-third-image.jpg</Key>
        <LastModified>2009-10-12T17:50:30.000Z</LastModified>
        <ETag>"1b2cf535f27731c974343645a3985328"</ETag>
        <Size>64994</Size>
        <StorageClass>STANDARD_IA</StorageClass>
    </Contents>
</ListBucketResult>)");
  REQUIRE(page.ok());
  REQUIRE(page.value().objects.size() == 2);
  CHECK(page.value().objects[0].key == "my-image.jpg");
  CHECK(page.value().objects[0].size == 434234);
  CHECK(page.value().objects[0].etag == "fba9dede5f27731c9771645a39863328");
  CHECK(page.value().objects[1].key == "my-third-image.jpg");
  CHECK_FALSE(page.value().is_truncated);
  auto more = ParseListPage(R"(<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>bucket</Name>
  <Prefix></Prefix>
  <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
  <KeyCount>1</KeyCount>
  <MaxKeys>1</MaxKeys>
  <IsTruncated>true</IsTruncated>
  <Contents>
    <Key>ExampleObject.txt</Key>
    <LastModified>2013-09-17T18:07:53.000Z</LastModified>
    <ETag>"599bab3ed2c697f1d26842727561fd94"</ETag>
    <Size>857</Size>
    <StorageClass>REDUCED_REDUNDANCY</StorageClass>
  </Contents>
</ListBucketResult>)");
  REQUIRE(more.ok());
  CHECK(more.value().is_truncated);
  CHECK(more.value().next_token == "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
  CHECK(more.value().objects.at(0).size == 857);
  // An empty bucket is a ListBucketResult with no <Contents>.
  auto empty = ParseListPage(Listing(""));
  REQUIRE(empty.ok());
  CHECK(empty.value().objects.empty());
}

TEST_CASE("ParseListPage decodes character references to UTF-8", "[steps][s3][xml]") {
  CHECK(KeyOf("docs/O&#x27;Brien invoice.pdf") == "docs/O'Brien invoice.pdf");
  CHECK(KeyOf("docs/tab&#x9;here.txt") == "docs/tab\there.txt");
  CHECK(KeyOf("docs/caf&#233; menu.txt") == "docs/caf\xc3\xa9 menu.txt");
  CHECK(KeyOf("a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos;") == "a & b <c> \"d\" 'e'");
  CHECK(KeyOf("&#x65E5;&#26412;/&#x1F600;") == "\xe6\x97\xa5\xe6\x9c\xac/\xf0\x9f\x98\x80");
  CHECK(KeyOf("raw caf\xc3\xa9") == "raw caf\xc3\xa9");
  CHECK(KeyOf("cr&#13;lf&#10;") == "cr\rlf\n");
  CHECK(KeyOf("ctl&#x1;") == "ctl\x01");  // AWS sends C0 controls as references
  CHECK(KeyOf("<![CDATA[a<b>&amp;]]>") == "a<b>&amp;");
  CHECK(KeyOf("x<![CDATA[<y>]]>z<!-- note -->&#x27;") == "x<y>z'");
  CHECK(KeyOf(" ") == " ");
  CHECK(KeyOf("  leading and trailing  ") == "  leading and trailing  ");
}

TEST_CASE("ParseListPage refuses what is not a ListBucketResult", "[steps][s3][xml]") {
  const std::string html =
      "<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>Sign in</body></html>";
  CHECK(Why(html) == "is not a ListBucketResult (the root element is <html>)");
  CHECK(Why("<html><head><meta charset=utf-8></head><body>portal</body></html>") ==
        "is not a ListBucketResult (not XML: Error parsing element attribute at offset 26)");
  CHECK(Why("") == "is not a ListBucketResult (the body is empty)");
  CHECK(Why(" \r\n") == "is not a ListBucketResult (the body is empty)");
  std::string whole = Listing(Object("a") + Object("b"));
  CHECK(Why(whole.substr(0, whole.size() / 2))
            .rfind("is not a ListBucketResult (not XML: Start-end tags mismatch at offset ", 0) ==
        0);
  CHECK(Why(whole + "<ListBucketResult/>") ==
        "is not a ListBucketResult (not XML: 2 root elements)");
  CHECK(Why("<?xml version=\"1.0\"?><InitiateMultipartUploadResult><UploadId>u</UploadId>"
            "</InitiateMultipartUploadResult>") ==
        "is not a ListBucketResult (the root element is <InitiateMultipartUploadResult>)");
  CHECK(Why("<Error><Code>InternalError</Code><Message>We encountered an internal error."
            "</Message></Error>") ==
        "is not a ListBucketResult (an S3 error: InternalError We encountered an internal "
        "error.)");
  CHECK(Why("just text") ==
        "is not a ListBucketResult (not XML: No document element found at "
        "offset 9)");
}

TEST_CASE("ParseListPage refuses missing and malformed elements", "[steps][s3][xml]") {
  const std::string range = "is not an integer from 0 to 9223372036854775807)";
  CHECK(Why(Listing(Object("k", "100000000000000000000"))) ==
        "is not a ListBucketResult (<Size> '100000000000000000000' of 'k' " + range);
  CHECK(Why(Listing(Object("k", "-1"))) ==
        "is not a ListBucketResult (<Size> '-1' of 'k' " + range);
  CHECK(Why(Listing(Object("k", "1e3"))).find("<Size> '1e3' of 'k' is not") != std::string::npos);
  CHECK(Why(Listing(Object("k", " 5"))).find("<Size> ' 5' of 'k' is not") != std::string::npos);
  CHECK(Why(Listing(Object("k", ""))).find("<Size> '' of 'k' is not") != std::string::npos);
  CHECK(Why(Listing(Object("k", "9223372036854775808"))).find(range) != std::string::npos);
  CHECK(ParseListPage(Listing(Object("k", "9223372036854775807"))).ok());
  CHECK(Why(Listing("<Contents><Key>k</Key></Contents>")) ==
        "is not a ListBucketResult (<Contents> 'k' has no <Size>)");
  CHECK(Why(Listing(Object("a") + "<Contents><Size>1</Size></Contents>")) ==
        "is not a ListBucketResult (<Contents> 2 has no <Key>)");
  CHECK(Why(Listing(Object(""))) == "is not a ListBucketResult (<Contents> 1 has an empty <Key>)");
  CHECK(Why(Listing(Object("a<b>c</b>"))) ==
        "is not a ListBucketResult (<Key> holds an element <b>)");
  CHECK(Why("<ListBucketResult><Name>b</Name></ListBucketResult>") ==
        "is not a ListBucketResult (<ListBucketResult> has no <IsTruncated>)");
  CHECK(Why("<ListBucketResult><IsTruncated>yes</IsTruncated></ListBucketResult>") ==
        "is not a ListBucketResult (<IsTruncated> 'yes' is not true or false)");
  CHECK(Why("<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>") ==
        "is not a ListBucketResult (a truncated <ListBucketResult> has no "
        "<NextContinuationToken>)");
}

TEST_CASE("ParseListPage refuses what XML forbids and pugixml would let through",
          "[steps][s3][xml]") {
  CHECK(KeyOf("x&#0;y").rfind("is not a ListBucketResult (not XML: a bad reference '&#0;y", 0) ==
        0);
  CHECK(KeyOf("x&#xD800;").find("not XML: a bad reference '&#xD800;") != std::string::npos);
  CHECK(KeyOf("x&#x110000;").find("not XML: a bad reference '&#x110000;") != std::string::npos);
  CHECK(KeyOf("x&#99999999999999999999;").find("not XML: a bad reference") != std::string::npos);
  CHECK(KeyOf("x&nbsp;y").find("not XML: a bad reference '&nbsp;") != std::string::npos);
  CHECK(KeyOf("x&#65y").find("not XML: a bad reference '&#65y") != std::string::npos);
  CHECK(KeyOf("x & y").find("not XML: a bad reference '& y") != std::string::npos);
  CHECK(KeyOf("x\x01y").find("not XML: a raw control character at offset") != std::string::npos);
  CHECK(KeyOf("x\xe9y").find("not XML: invalid UTF-8 at offset") != std::string::npos);
  // No DTD is read: neither an internal entity (a billion laughs) nor an external one.
  const std::string laughs =
      "<!DOCTYPE ListBucketResult [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;\">]>";
  CHECK(Why(laughs + Listing(Object("&b;")).substr(39)) ==
        "is not a ListBucketResult (it has a DOCTYPE, which S3 never sends)");
  CHECK(Why("<!DOCTYPE ListBucketResult [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>" +
            Listing(Object("&x;")).substr(39)) ==
        "is not a ListBucketResult (it has a DOCTYPE, which S3 never sends)");
}

TEST_CASE("ParseInitiateMultipart and ParseCompleteMultipart read AWS's examples",
          "[steps][s3][xml]") {
  auto id = ParseInitiateMultipart(R"(<?xml version="1.0" encoding="UTF-8"?>
<InitiateMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Bucket>example-bucket</Bucket>
  <Key>example-object</Key>
  <UploadId>VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA</UploadId>
</InitiateMultipartUploadResult>)");
  REQUIRE(id.ok());
  CHECK(id.value() == "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA");
  CHECK(ParseInitiateMultipart("<InitiateMultipartUploadResult><Key>k</Key>"
                               "</InitiateMultipartUploadResult>")
            .status()
            .message() ==
        "is not an InitiateMultipartUploadResult "
        "(<InitiateMultipartUploadResult> has no <UploadId>)");
  CHECK(ParseInitiateMultipart("").status().message() ==
        "is not an InitiateMultipartUploadResult (the body is empty)");
  auto etag = ParseCompleteMultipart(R"(<?xml version="1.0" encoding="UTF-8"?>
<CompleteMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Location>http://Example-Bucket.s3.Region.amazonaws.com/Example-Object</Location>
  <Bucket>Example-Bucket</Bucket>
  <Key>Example-Object</Key>
  <ETag>"3858f62230ac3c915f300c664312c11f-9"</ETag>
</CompleteMultipartUploadResult>)");
  REQUIRE(etag.ok());
  CHECK(etag.value() == "3858f62230ac3c915f300c664312c11f-9");
  // S3 may answer 200 and then an error, while the parts are being combined.
  CHECK(ParseCompleteMultipart(R"(<?xml version="1.0" encoding="UTF-8"?>
<Error>
  <Code>InternalError</Code>
  <Message>We encountered an internal error. Please try again.</Message>
  <RequestId>656c76696e6727732072657175657374</RequestId>
  <HostId>Uuag1LuByRx9e6j5Onimru9pO4ZVKnJ2Qz7/C1NPcfTWAtRPfTaOFg==</HostId>
</Error>)")
            .status()
            .message() ==
        "is not a CompleteMultipartUploadResult (an S3 error: InternalError "
        "We encountered an internal error. Please try again.)");
  CHECK(ParseCompleteMultipart("<CompleteMultipartUploadResult><ETag>\"\"</ETag>"
                               "</CompleteMultipartUploadResult>")
            .status()
            .message() == "is not a CompleteMultipartUploadResult (<ETag> is empty)");
}

TEST_CASE("ParseDeleteResult reads each Deleted and Error", "[steps][s3][xml]") {
  auto result = ParseDeleteResult(R"(<?xml version="1.0" encoding="UTF-8"?>
<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Deleted>
    <Key>sample1.txt</Key>
  </Deleted>
  <Error>
    <Key>sample2.txt</Key>
    <Code>AccessDenied</Code>
    <Message>Access Denied</Message>
  </Error>
  <Deleted><Key>O&#x27;Brien &amp; caf&#233;</Key></Deleted>
</DeleteResult>)");
  REQUIRE(result.ok());
  CHECK(result.value().deleted == std::vector<std::string>{"sample1.txt", "O'Brien & caf\xc3\xa9"});
  REQUIRE(result.value().errors.size() == 1);
  CHECK(result.value().errors[0].key == "sample2.txt");
  CHECK(result.value().errors[0].code == "AccessDenied");
  CHECK(result.value().errors[0].message == "Access Denied");
  CHECK(ParseDeleteResult("<DeleteResult><Error><Key>k</Key></Error></DeleteResult>")
            .status()
            .message() == "is not a DeleteResult (<Error> of 'k' has no <Code>)");
  CHECK(ParseDeleteResult("<DeleteResult><Deleted/></DeleteResult>").status().message() ==
        "is not a DeleteResult (<Deleted> has no <Key>)");
  CHECK(ParseDeleteResult("<html><body>ok</body></html>").status().message() ==
        "is not a DeleteResult (the root element is <html>)");
  CHECK(ParseDeleteResult("<DeleteResult/>").value().deleted.empty());
}

TEST_CASE("ParseError reads S3's error document", "[steps][s3][xml]") {
  auto error = ParseError(R"(<?xml version="1.0" encoding="UTF-8"?>
<Error>
  <Code>NoSuchKey</Code>
  <Message>The resource you requested does not exist</Message>
  <Resource>/mybucket/myfoto.jpg</Resource>
  <RequestId>4442587FB7D0A2F9</RequestId>
</Error>)");
  REQUIRE(error.ok());
  CHECK(error.value().code == "NoSuchKey");
  CHECK(error.value().message == "The resource you requested does not exist");
  CHECK(ParseError("<Error><Code>SlowDown</Code></Error>").value().message.empty());
  CHECK(ParseError("<Error><Message>m</Message></Error>").status().message() ==
        "is not an Error (<Error> has no <Code>)");
  CHECK(ParseError("<html><body>502 Bad Gateway</body></html>").status().message() ==
        "is not an Error (the root element is <html>)");
}

TEST_CASE("DeleteObjectsBody and CompleteMultipartBody are escaped by the library",
          "[steps][s3][xml]") {
  CHECK(DeleteObjectsBody({"a & b <c> \"d\" O'Brien", "tab\tcaf\xc3\xa9", "x]]>y"}) ==
        "<?xml version=\"1.0\"?><Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        "<Quiet>false</Quiet><Object><Key>a &amp; b &lt;c&gt; \"d\" O'Brien</Key></Object>"
        "<Object><Key>tab\tcaf\xc3\xa9</Key></Object><Object><Key>x]]&gt;y</Key></Object>"
        "</Delete>");
  CHECK(CompleteMultipartBody({"\"a1\"", "\"b2\""}) ==
        "<?xml version=\"1.0\"?><CompleteMultipartUpload "
        "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Part><PartNumber>1</PartNumber>"
        "<ETag>\"a1\"</ETag></Part><Part><PartNumber>2</PartNumber><ETag>\"b2\"</ETag></Part>"
        "</CompleteMultipartUpload>");
  // A raw CR would reach the server as LF (another key): such keys go by URL instead.
  CHECK(XmlCanCarry("tab\tand\nnewline caf\xc3\xa9"));
  CHECK_FALSE(XmlCanCarry("carriage\rreturn"));
  CHECK_FALSE(XmlCanCarry("bell\x07"));
  CHECK_FALSE(XmlCanCarry("latin1 caf\xe9"));
}

TEST_CASE("ParseDecimal and ParseSize refuse what is not a number in range", "[steps][s3][xml]") {
  CHECK(ParseDecimal("0") == 0u);
  CHECK(ParseDecimal("9223372036854775807") == 9223372036854775807u);
  for (const char* bad : {"9223372036854775808", "100000000000000000000", "-1", "+1", "", " 1",
                          "1 ", "0x10", "1e3", "12abc"}) {
    INFO(bad);
    CHECK_FALSE(ParseDecimal(bad));
  }
  CHECK(ParseSize("8MiB") == 8u << 20);
  CHECK(ParseSize("16MB") == 16000000u);
  CHECK(ParseSize("5242880") == 5242880u);
  CHECK_FALSE(ParseSize("99999999999999999999MiB"));  // was an escaping std::out_of_range
  CHECK_FALSE(ParseSize("20000000000GiB"));           // would wrap around
  CHECK_FALSE(ParseSize("MiB"));
  CHECK_FALSE(ParseSize("8 MiB"));
}
