// Value: the dynamic data of runbooks at run time (params, step inputs and outputs,
// expression results). JSON-shaped, plus Unknown: a value only known at run time, used by
// plan and dry runs. Maps keep keys sorted so every rendering is stable. Not thread-safe
// for mutation; const access is.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace runbook {

class Value {
 public:
  enum class Kind { kNull, kBool, kInt, kDouble, kString, kList, kMap, kUnknown };
  using List = std::vector<Value>;
  using Map = std::map<std::string, Value>;

  Value() = default;
  Value(std::nullptr_t) {}                                            // NOLINT
  Value(bool b) : kind_(Kind::kBool), int_(b) {}                      // NOLINT
  Value(int i) : kind_(Kind::kInt), int_(i) {}                        // NOLINT
  Value(int64_t i) : kind_(Kind::kInt), int_(i) {}                    // NOLINT
  Value(double d) : kind_(Kind::kDouble), double_(d) {}               // NOLINT
  Value(std::string s) : kind_(Kind::kString), str_(std::move(s)) {}  // NOLINT
  Value(const char* s) : kind_(Kind::kString), str_(s) {}             // NOLINT
  Value(List l);                                                      // NOLINT
  Value(Map m);                                                       // NOLINT
  // A value known only at run time; `text` is how it is shown ("${{ steps.a.outputs.x }}").
  static Value Unknown(std::string text);
  // A plain YAML scalar read as a number, boolean or null, keeping its text as written
  // (`3.10`, `0755`, `true`; a null's text is ""): ToText() and as_string() give that text,
  // so wherever it becomes a string it arrives exactly as written, while arithmetic and
  // comparisons use the typed value. A string `typed` is returned as is.
  static Value Written(Value typed, std::string text);

  Kind kind() const { return kind_; }
  bool is_null() const { return kind_ == Kind::kNull; }
  bool is_bool() const { return kind_ == Kind::kBool; }
  bool is_int() const { return kind_ == Kind::kInt; }
  bool is_number() const { return kind_ == Kind::kInt || kind_ == Kind::kDouble; }
  bool is_string() const { return kind_ == Kind::kString; }
  bool is_list() const { return kind_ == Kind::kList; }
  bool is_map() const { return kind_ == Kind::kMap; }
  bool is_unknown() const { return kind_ == Kind::kUnknown; }
  // Unknown, or a list or map with an Unknown anywhere inside.
  bool has_unknown() const;
  // A YAML scalar that keeps its source text (see Written).
  bool written() const { return written_; }

  bool as_bool() const { return int_ != 0; }
  int64_t as_int() const { return kind_ == Kind::kDouble ? static_cast<int64_t>(double_) : int_; }
  double as_double() const { return kind_ == Kind::kInt ? static_cast<double>(int_) : double_; }
  // Also the Unknown's text and a written scalar's text; "" for other non-strings.
  const std::string& as_string() const { return str_; }
  const List& as_list() const;
  const Map& as_map() const;
  List& mutable_list();
  Map& mutable_map();

  // Map lookup; nullptr when absent or not a map.
  const Value* Find(const std::string& key) const;

  // Truthiness for conditions: false, null, 0, "" and empty collections are false.
  bool Truthy() const;
  // Plain text for interpolation: strings as-is, a written scalar as written, other numbers
  // and bools as JSON, null as "", lists and maps as compact JSON.
  std::string ToText() const;
  static const char* KindName(Kind kind);

  friend bool operator==(const Value& a, const Value& b);

 private:
  Kind kind_ = Kind::kNull;
  bool written_ = false;  // str_ holds the scalar's source text
  int64_t int_ = 0;
  double double_ = 0;
  std::string str_;
  std::shared_ptr<List> list_;  // shared: values are copied often and mutated rarely
  std::shared_ptr<Map> map_;
};

// A list of `strings`, as the store's and serve's files keep names and lines.
Value StringsValue(const std::vector<std::string>& strings);
// The strings of `v` when it is a list of strings; nullopt otherwise (null, missing, or an
// element that is no string: a file damaged or of another shape).
std::optional<std::vector<std::string>> StringsOf(const Value* v);

}  // namespace runbook
