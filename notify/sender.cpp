#include "notify/sender.h"

#include <ctime>
#include <thread>
#include <vector>

#include "engine/util/crypto.h"
#include "engine/util/json.h"
#include "engine/util/time_format.h"
#include "steps/common/http.h"

namespace runbook {
namespace {

std::string Text(const Value& message, const char* key) {
  const Value* v = message.Find(key);
  return v == nullptr || v->is_null() ? "" : v->ToText();
}

// One line for people: "runbook 'nightly' failed on vm (run 2026...-abc): step 'b' failed".
std::string Summary(const std::string& event, const Value& message) {
  // A run that died (serve's helper tells it: notify.md "A run that dies") was interrupted,
  // not failed: said as its status is (breakCC CC5).
  const bool interrupted = Text(message, "status") == "interrupted";
  std::string what = event == "failure"            ? (interrupted ? "was interrupted" : "failed")
                     : event == "objective_missed" ? "missed an objective"
                     : event == "recovered"        ? "recovered"
                     : event == "approval_waiting" ? "waits for an approval"
                                                   : "succeeded";
  std::string out = "runbook '" + Text(message, "runbook") + "' " + what + " on " +
                    Text(message, "host") + " (run " + Text(message, "run_id") + ")";
  std::string detail = Text(message, "detail");
  return detail.empty() ? out : out + ": " + detail;
}

// A setting as text, "" when not given.
std::string Setting(const Value::Map& config, const char* key) {
  auto it = config.find(key);
  return it == config.end() || it->second.is_null() ? std::string() : it->second.ToText();
}

HttpRequest Post(const std::string& url, std::string body) {
  HttpRequest r;
  r.method = "POST";
  r.url = url;
  r.body = std::move(body);
  r.headers = {{"Content-Type", "application/json"},
               {"User-Agent", std::string("runbook/") + RUNBOOK_VERSION}};
  r.timeout = std::chrono::milliseconds(10000);
  return r;
}

HttpRequest Webhook(const Value::Map& config, const std::string& event, const Value& message) {
  Value::Map body = message.as_map();
  body["event"] = Value(event);
  body["summary"] = Value(Summary(event, message));
  HttpRequest r = Post(config.at("url").ToText(), ToJson(Value(std::move(body))));
  r.headers.emplace_back("X-Runbook-Event", event);
  auto secret = config.find("secret");
  if (secret != config.end() && !secret->second.ToText().empty())
    r.headers.emplace_back("X-Runbook-Signature-256",
                           "sha256=" + HexEncode(HmacSha256(secret->second.ToText(), r.body)));
  return r;
}

// Slack's text: the summary, and on a second line the failed step's error when there is one.
HttpRequest Slack(const Value::Map& config, const std::string& event, const Value& message) {
  std::string text = Summary(event, message), error = Text(message, "error");
  if (!error.empty()) text += "\n" + error;
  return Post(config.at("webhook_url").ToText(),
              ToJson(Value(Value::Map{{"text", Value(std::move(text))}})));
}

// A firing alert's endsAt: Alertmanager resolves an alert whose endsAt passed, and one sent
// without any after its resolve_timeout (5 min by default). Prometheus re-sends its firing
// alerts at every evaluation; a runbook posts once per run, so the end is set a quarter ahead
// (a quarterly drill's interval), renewed by each run that fails again, and the run that
// succeeds resolves it (breakLL LL1: every alert resolved itself after 5 minutes).
constexpr std::chrono::hours kFiringFor{24 * 92};

Value Alert(const AlertChange& change, const std::string& event, const Value& message,
            const std::string& now, const std::string& until) {
  Value::Map annotations{{"summary", Value(Summary(event, message))},
                         {"run_id", Value(Text(message, "run_id"))}};
  // Prometheus's customary annotation for the longer words: the failed step's error.
  if (std::string error = Text(message, "error"); !error.empty() && change.firing)
    annotations["description"] = Value(error);
  Value::Map alert{{"labels", Value(Value::Map{{"alertname", Value(change.alertname)},
                                               {"runbook", Value(Text(message, "runbook"))},
                                               {"severity", Value(change.severity)}})},
                   {"annotations", Value(std::move(annotations))},
                   {"startsAt", Value(now)}};
  alert["endsAt"] = Value(change.firing ? until : now);
  return Value(std::move(alert));
}

// The alerts AlertChanges says, firing or resolved (endsAt now).
HttpRequest Alertmanager(const NotifyTarget& target, const std::string& event,
                         const Value& message) {
  const auto clock_now = std::chrono::system_clock::now();
  std::string now = FormatUtc(clock_now), until = FormatUtc(clock_now + kFiringFor);
  const Value* met = message.Find("objectives_met");
  Value::List alerts;
  for (const AlertChange& change :
       AlertChanges(target.on, event, Text(message, "status"),
                    met == nullptr || !met->is_bool() || met->as_bool(), AnotherRunWaits(message)))
    alerts.push_back(Alert(change, event, message, now, until));
  std::string base = target.config.at("url").ToText();
  while (!base.empty() && base.back() == '/') base.pop_back();
  return Post(base + "/api/v2/alerts", ToJson(Value(std::move(alerts))));
}

std::string MailDate() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

// RFC 5322: the summary as the subject, the message's fields as the body.
MailRequest Mail(const Value::Map& config, const std::string& event, const Value& message) {
  MailRequest m;
  m.url = config.at("smtp").ToText();
  m.from = config.at("from").ToText();
  std::string to_header;
  for (const Value& to :
       config.at("to").is_list() ? config.at("to").as_list() : Value::List{config.at("to")}) {
    m.to.push_back(to.ToText());
    to_header += (to_header.empty() ? "" : ", ") + to.ToText();
  }
  m.username = Setting(config, "username");
  m.password = Setting(config, "password");
  m.require_tls = Setting(config, "starttls") != "false";
  m.ca_file = Setting(config, "ca_file");
  std::string body = Summary(event, message) + "\r\n\r\n";
  for (const char* key : {"runbook", "run_id", "status", "duration_ms", "rto_ms", "rpo_ms",
                          "objectives_met", "host", "detail", "error"})
    body += std::string(key) + ": " + Text(message, key) + "\r\n";
  m.message = "Date: " + MailDate() + "\r\nFrom: " + m.from + "\r\nTo: " + to_header +
              "\r\nSubject: [runbook] " + Summary(event, message) +
              "\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
              "X-Runbook-Event: " +
              event + "\r\n\r\n" + body;
  return m;
}

bool Retryable(const HttpResponse& r) {
  return !r.setup_error && (r.status == 0 || r.status == 429 || r.status >= 500);
}

class HttpNotifySender final : public NotifySender {
 public:
  explicit HttpNotifySender(int retry_base_ms) : retry_base_ms_(retry_base_ms) {}

  Delivery Send(const NotifyTarget& target, const std::string& event,
                const Value& message) override {
    Delivery d;
    d.index = target.index;
    d.channel = target.channel;
    d.event = event;
    if (target.channel == "email") return SendEmail(target, event, message, d);
    HttpRequest request = Build(target, event, message);
    d.target = UrlOrigin(request.url);
    if (d.target.empty()) {
      d.error = "the URL is not http:// or https://";
      return d;
    }
    HttpClient client;
    CancelToken never;
    for (int attempt = 1; attempt <= 3; ++attempt) {
      d.attempts = attempt;
      HttpResponse r = client.Send(request, never);
      d.http_status = r.status;
      d.sent = r.status >= 200 && r.status < 300;
      d.error = d.sent ? "" : r.status == 0 ? r.error : "HTTP " + std::to_string(r.status);
      if (d.sent || !Retryable(r) || attempt == 3) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(retry_base_ms_ << (attempt - 1)));
    }
    return d;
  }

 private:
  Delivery SendEmail(const NotifyTarget& target, const std::string& event, const Value& message,
                     Delivery& d) {
    MailRequest mail = Mail(target.config, event, message);
    d.target = UrlOrigin(mail.url);
    if (d.target.rfind("smtp", 0) != 0) {
      d.error = "the server is not smtp:// or smtps://";
      return d;
    }
    for (int attempt = 1; attempt <= 3; ++attempt) {
      d.attempts = attempt;
      MailResult r = SendMail(mail);
      d.error = r.error;
      d.sent = d.error.empty();
      if (d.sent || r.setup_error || attempt == 3) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(retry_base_ms_ << (attempt - 1)));
    }
    return d;
  }

  static HttpRequest Build(const NotifyTarget& t, const std::string& event, const Value& message) {
    HttpRequest r = t.channel == "alertmanager" ? Alertmanager(t, event, message)
                    : t.channel == "slack"      ? Slack(t.config, event, message)
                                                : Webhook(t.config, event, message);
    r.ca_file = Setting(t.config, "ca_file");
    return r;
  }
  int retry_base_ms_;
};

}  // namespace

std::unique_ptr<NotifySender> MakeHttpNotifySender(int retry_base_ms) {
  return std::make_unique<HttpNotifySender>(retry_base_ms);
}

}  // namespace runbook
