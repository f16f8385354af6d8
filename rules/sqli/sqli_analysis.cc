#include "rules/sqli/sqli_analysis.h"

#include "rules/sqli/sql_keywords.h"

namespace portcullis::rules {
namespace {

using T = SqlTokenType;
using K = SqlKeyword;

constexpr size_t kNone = static_cast<size_t>(-1);

bool is_alpha_word(std::string_view s) {
  return !s.empty() && ((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z'));
}
bool is(const SqlToken* t, T type) { return t != nullptr && t->type == type; }
bool word(const SqlToken* t, std::string_view upper) {
  return t != nullptr && sql_word_equals(t->text, upper);
}
bool is_operand(const SqlToken* t) {
  return t != nullptr &&
         (t->type == T::kNumber || t->type == T::kString || t->type == T::kBareword ||
          t->type == T::kVariable || t->type == T::kFunction || t->keyword == K::kValue);
}

// Functions (and server variables) whose only use in a value is to read the server's identity:
// "version()", "database()", "@@hostname". Blind extraction starts with them.
bool info_call(const SqlToken* t) {
  if (t == nullptr) return false;
  if (t->type == T::kVariable) return t->has(kSqlFlagSystemVar);
  return t->type == T::kFunction &&
         (word(t, "VERSION") || word(t, "DATABASE") || word(t, "USER") || word(t, "SCHEMA") ||
          word(t, "CURRENT_USER") || word(t, "SYSTEM_USER") || word(t, "SESSION_USER") ||
          word(t, "DB_NAME") || word(t, "USER_NAME") || word(t, "HOST_NAME") ||
          word(t, "CURRENT_DATABASE") || word(t, "CURRENT_SETTING"));
}

// A comment body that says nothing: "--", "-- -", "#", "/*", "-- +". Attack payloads end
// with such a stub to cut the rest of the query; prose after "--" or "#" has words.
bool blank_comment(std::string_view c) {
  // MSSQL leaves any statement that mentions sp_password out of its trace log: a comment
  // holding it hides the injection, it says nothing to a reader.
  if (c.size() >= 11) {
    bool has = false;
    for (size_t k = 0; !has && k + 11 <= c.size(); ++k) {
      has = sql_word_equals(c.substr(k, 11), "SP_PASSWORD");
    }
    if (has) return true;
  }
  size_t i = 0;
  if (c.substr(0, 2) == "--" || c.substr(0, 2) == "/*") {
    i = 2;
  } else if (!c.empty() && c[0] == '#') {
    i = 1;
  }
  size_t alnum = 0;
  for (; i < c.size(); ++i) {
    unsigned char ch = static_cast<unsigned char>(c[i]);
    if ((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
        ch >= 0x80) {
      ++alnum;
    }
  }
  return alnum <= 1;
}

// Parses the token stream of one context as a SQL expression continuation, the way the
// database would parse the query with the input embedded. Comments that do not end the input
// are whitespace to it. Strong structure (UNION SELECT, stacked statement, dangerous call,
// subquery, INTO OUTFILE) decides as soon as it is complete; weak structure (boolean logic,
// truncating comment, ORDER BY probing) needs the whole continuation to parse, which is what
// keeps prose ("bob's or alice's") out: English rarely survives a SQL parser.
class Parser {
 public:
  Parser(const SqlTokenList& list, bool quoted) : list_(list), quoted_(quoted) {
    for (size_t i = 0; i < list.size; ++i) {
      const SqlToken& t = list.tokens[i];
      if (t.type == T::kComment) {
        if (i + 1 == list.size && t.has(kSqlFlagUnterminated)) trailing_comment_ = &t;
        continue;
      }
      toks_[n_] = &t;
      pos_[n_] = i;
      ++n_;
    }
  }

  SqliVerdict run();
  SqliVerdict parse();

 private:
  const SqlToken* at(size_t j) const { return j < n_ ? toks_[j] : nullptr; }
  bool at_end(size_t j) const { return j >= n_; }
  SqliVerdict flag(std::string_view reason, size_t j) const {
    SqliVerdict v;
    v.flagged = true;
    v.reason = reason;
    v.decisive = j < n_ ? pos_[j] : list_.size == 0 ? 0 : list_.size - 1;
    return v;
  }
  SqliVerdict pass(std::string_view reason, size_t j) const {
    SqliVerdict v;
    v.reason = reason;
    v.decisive = j < n_ ? pos_[j] : list_.size == 0 ? 0 : list_.size - 1;
    return v;
  }
  // After an operand at j: does the stream continue like a select list / statement?
  bool continues_list(size_t j) const {
    const SqlToken* t = at(j);
    if (t == nullptr) return trailing_comment_ != nullptr;
    return t->type == T::kComma || t->type == T::kSemicolon || t->type == T::kRParen ||
           t->type == T::kOperator || t->type == T::kCompare || t->type == T::kLogic ||
           t->type == T::kUnion || word(t, "INTO") || word(t, "LIMIT") || word(t, "WHERE") ||
           word(t, "AS");
  }
  bool select_is_strong(size_t j, bool strict) const;
  size_t find_dangerous_call() const;
  size_t find_union_statement() const;
  // The quote that broke out follows a space inside the input ("SOAP 1 '#"): that is how
  // prose opens a quotation, while a payload closes the literal right after its value
  // ("admin'--") or starts with the quote ("'--").
  bool prose_quote() const {
    std::string_view lit = toks_[0]->text;
    return lit.size() >= 2 && (lit[lit.size() - 2] == ' ' || lit[lit.size() - 2] == '\t');
  }
  bool statement_is_strong(size_t j, bool strict) const;
  bool from_clause_continues(size_t j) const;

  const SqlTokenList& list_;
  bool quoted_;
  const SqlToken* toks_[SqlTokenList::kMaxTokens];
  size_t pos_[SqlTokenList::kMaxTokens];
  size_t n_ = 0;
  const SqlToken* trailing_comment_ = nullptr;
};

// j: index of SELECT.
bool Parser::select_is_strong(size_t j, bool strict) const {
  size_t k = j + 1;
  while (at(k) != nullptr && at(k)->keyword == K::kPrefix) {
    if (word(at(k), "TOP") && is(at(k + 1), T::kNumber)) ++k;
    ++k;
  }
  while (at(k) != nullptr && at(k)->type == T::kOperator &&
         (at(k)->text == "-" || at(k)->text == "+")) {
    ++k;  // "select -1", "select -sin(1)"
  }
  const SqlToken* item = at(k);
  if (item == nullptr) return false;
  bool strong = false;
  bool telling = false;  // content an application would never send as a value
  if (item->type == T::kNumber || item->keyword == K::kValue || item->type == T::kVariable ||
      item->type == T::kLParen || (item->type == T::kOperator && item->text == "*")) {
    // "(Select 2 items)": a value followed by a word is prose, not a select list.
    const SqlToken* after = at(k + 1);
    strong =
        item->type == T::kLParen || after == nullptr ||
        !(after->type == T::kBareword || after->type == T::kNumber || after->type == T::kString);
    // "select @version foo": a variable with an alias that ends the statement.
    if (item->type == T::kVariable && after != nullptr &&
        (after->type == T::kBareword || after->type == T::kString) && at_end(k + 2)) {
      strong = true;
    }
    telling = item->has(kSqlFlagSystemVar) || item->keyword == K::kValue;
  } else if (item->type == T::kFunction) {
    strong = true;
    // String builders fed hex literals ("concat_ws(0x3a,...)", "char(0x66)") assemble
    // extracted data; an application never sends them as a value.
    telling = item->keyword == K::kEvilFunc ||
              (info_call(item) && is(at(k + 1), T::kLParen) && is(at(k + 2), T::kRParen)) ||
              word(item, "CHAR") || word(item, "CHR") || word(item, "CONCAT") ||
              word(item, "CONCAT_WS") || word(item, "GROUP_CONCAT");
  } else if (item->type == T::kString || item->type == T::kBareword) {
    strong = continues_list(k + 1);
    // "select top 1 name ':' pass from users": a FROM clause later completes it.
    // Not "(select one from the list)": the table name must end the clause.
    for (size_t m = k + 1; !strong && m < n_; ++m) {
      if (word(at(m), "FROM") && is_operand(at(m + 1)) && !is(at(m + 2), T::kBareword)) {
        strong = true;
      }
    }
  }
  if (!strong) return false;
  if (!strict || telling || trailing_comment_ != nullptr) return true;
  // A bare "SELECT COUNT(*)" is a phrase an admin UI may send; a full statement with FROM or a
  // terminator is not.
  const SqlToken* last = at(n_ - 1);
  // A select list that computes ("id,sin(1),2") is code, not a phrase about SQL.
  bool word_item = item->type == T::kBareword;
  for (size_t m = k + 1; word_item && m < n_ && !word(at(m), "FROM"); ++m) {
    if (is(at(m), T::kFunction) || is(at(m), T::kNumber) || is(at(m), T::kString)) {
      word_item = false;
    }
  }
  if (word_item &&
      (last->keyword == K::kClause || last->type == T::kLogic || last->type == T::kCompare)) {
    return false;  // "select x from y where": a phrase about SQL, not a statement
  }
  for (size_t m = k; m < n_; ++m) {
    if (is(at(m), T::kSemicolon)) return true;
    if (word(at(m), "FROM") && is_operand(at(m + 1)) && from_clause_continues(m + 2)) return true;
  }
  return false;
}

// j: the token after "FROM <table>". A statement goes on with what a FROM clause allows (the end,
// ';', ',', '.', an alias, a join or clause keyword); "SELECT * FROM users is how you'd query
// it" goes on with prose, which no database parses.
bool Parser::from_clause_continues(size_t j) const {
  auto clause_go_on = [&](const SqlToken* t) {
    return t == nullptr || t->type == T::kSemicolon || t->type == T::kComma || t->type == T::kDot ||
           t->type == T::kRParen || t->type == T::kUnion || t->type == T::kKeyword ||
           t->type == T::kLParen;
  };
  const SqlToken* t = at(j);
  if (clause_go_on(t)) return true;
  // An alias: "FROM users u WHERE ...", "FROM users AS u".
  if (t->type == T::kBareword || t->keyword == K::kAs)
    return clause_go_on(at(j + 1)) || is(at(j + 1), T::kBareword);
  return false;
}

// j: index of a statement keyword (after ';', after a value in MSSQL batches, or at the start).
bool Parser::statement_is_strong(size_t j, bool strict) const {
  const SqlToken* s = at(j);
  const SqlToken* a = at(j + 1);
  const SqlToken* b = at(j + 2);
  auto object_kw = [](const SqlToken* t) {
    return word(t, "TABLE") || word(t, "DATABASE") || word(t, "SCHEMA") || word(t, "VIEW") ||
           word(t, "INDEX") || word(t, "PROCEDURE") || word(t, "FUNCTION") || word(t, "TRIGGER") ||
           word(t, "USER") || word(t, "LOGIN") || word(t, "ROLE") || word(t, "TEMPORARY") ||
           word(t, "EVENT");
  };
  auto ends = [&](size_t k) {
    const SqlToken* t = at(k);
    return t == nullptr || t->type == T::kSemicolon;
  };
  if (word(s, "SELECT")) return select_is_strong(j, strict);
  if (word(s, "INSERT") || word(s, "REPLACE")) {
    return word(a, "INTO") && (is(b, T::kBareword) || is(b, T::kFunction)) &&
           (!strict || is(at(j + 3), T::kLParen) || word(at(j + 3), "VALUES") ||
            word(at(j + 3), "SELECT"));
  }
  if (word(s, "UPDATE")) return is(a, T::kBareword) && word(b, "SET");
  if (word(s, "DELETE")) {
    return (word(a, "FROM") && is(b, T::kBareword)) ||
           (is(a, T::kBareword) && (word(b, "FROM") || word(b, "WHERE")));
  }
  if (word(s, "DROP") || word(s, "CREATE") || word(s, "ALTER") || word(s, "RENAME")) {
    return object_kw(a) && (is(b, T::kBareword) || word(b, "IF") || object_kw(b));
  }
  if (word(s, "TRUNCATE")) {
    return (word(a, "TABLE") && is(b, T::kBareword)) || (is(a, T::kBareword) && ends(j + 2));
  }
  if (word(s, "EXEC") || word(s, "EXECUTE")) {
    if (a == nullptr) return false;
    if (a->type == T::kVariable) return true;
    if (word(a, "AS") && (word(b, "LOGIN") || word(b, "USER"))) return true;
    if (a->type == T::kLParen) return is(b, T::kVariable) || is(b, T::kString);
    if (a->type == T::kBareword || a->type == T::kFunction || a->type == T::kString) {
      if (a->keyword == K::kEvilFunc) return true;
      return b == nullptr || b->type == T::kString || b->type == T::kNumber ||
             b->type == T::kVariable || b->type == T::kSemicolon || b->type == T::kComma ||
             b->type == T::kLParen;
    }
    return false;
  }
  // MSSQL "DECLARE c CURSOR FOR select ...": a cursor walks the catalog row by row.
  if (word(s, "DECLARE")) return is(a, T::kVariable) || (is(a, T::kBareword) && word(b, "CURSOR"));
  if (word(s, "SET")) {
    return is(a, T::kVariable) ||
           (is(a, T::kBareword) && b != nullptr && (b->text == "=" || b->text == ":="));
  }
  if (word(s, "SHUTDOWN")) return ends(j + 1) || word(a, "WITH") || word(a, "END");
  if (word(s, "WAITFOR")) return (word(a, "DELAY") || word(a, "TIME")) && is(b, T::kString);
  if (word(s, "CALL")) return is(a, T::kFunction);
  if (word(s, "GRANT") || word(s, "REVOKE")) {  // "grant connect to name"
    return a != nullptr &&
           (a->type == T::kBareword || a->type == T::kKeyword || a->type == T::kStatement) &&
           (word(b, "TO") || word(b, "ON") || word(b, "FROM"));
  }
  if (word(s, "LOAD")) {
    return (word(a, "DATA") || word(a, "XML")) &&
           (word(b, "INFILE") || (word(b, "LOCAL") && word(at(j + 3), "INFILE")));
  }
  if (word(s, "PRINT")) return (is(a, T::kString) || is(a, T::kVariable)) && ends(j + 2);
  if (word(s, "COPY")) return is(a, T::kBareword) && (word(b, "FROM") || word(b, "TO"));
  if (word(s, "SHOW")) {
    return (word(a, "TABLES") || word(a, "DATABASES") || word(a, "GRANTS") ||
            word(a, "VARIABLES") || word(a, "COLUMNS") || word(a, "PROCESSLIST")) &&
           (ends(j + 2) || word(b, "FROM") || word(b, "LIKE"));
  }
  if (word(s, "BEGIN")) {
    if (word(a, "TRY") || word(a, "TRAN") || word(a, "TRANSACTION")) {
      return is(b, T::kStatement) && statement_is_strong(j + 2, strict);
    }
    return (is(a, T::kStatement) && statement_is_strong(j + 1, strict)) ||
           (a != nullptr && a->keyword == K::kEvilFunc);
  }
  // "use master; exec ...", "goto l select ...": the statement that follows must be one too
  // ("Use packaged copy of highlight.js" is prose: COPY needs FROM or TO).
  if (word(s, "USE") || word(s, "GOTO")) {
    return is(a, T::kBareword) &&
           (ends(j + 2) || (is(b, T::kStatement) && statement_is_strong(j + 2, strict)));
  }
  if (word(s, "IF") || word(s, "WHILE")) {
    // MSSQL "IF (cond) WAITFOR DELAY ...": an IF alone is too common in prose and code.
    if (word(a, "EXISTS") || (is(a, T::kNot) && word(b, "EXISTS"))) return true;
    if (strict) return false;
    for (size_t k = j + 1; k < n_; ++k) {
      const SqlToken* t = at(k);
      if (word(t, "WAITFOR") || word(t, "EXEC") || word(t, "SELECT") || word(t, "SHUTDOWN") ||
          word(t, "DROP") || word(t, "DECLARE") || word(t, "INSERT") || word(t, "DELETE")) {
        return true;
      }
    }
    return false;
  }
  if (word(s, "BACKUP") || word(s, "RESTORE")) {
    return (word(a, "DATABASE") || word(a, "LOG")) && is(b, T::kBareword);
  }
  if (word(s, "DBCC") || word(s, "HANDLER") || word(s, "PREPARE")) {
    return is(a, T::kBareword) && (ends(j + 2) || !is(b, T::kBareword));
  }
  return false;
}

// A dangerous call (SLEEP, BENCHMARK, LOAD_FILE...) with well-formed arguments is structure
// wherever it sits: nobody types "sleep(5)" or "load_file('/etc/passwd')" as a value, while
// prose that mentions sleep fails the argument check ("sleep(8 hours)").
size_t Parser::find_dangerous_call() const {
  for (size_t j = 0; j + 1 < n_; ++j) {
    if (toks_[j]->type != T::kFunction || toks_[j]->keyword != K::kEvilFunc) continue;
    if (!is(at(j + 1), T::kLParen)) continue;
    int depth = 0;
    bool want_operand = true;
    for (size_t k = j + 1; k < n_; ++k) {
      const SqlToken* t = toks_[k];
      if (t->type == T::kLParen) {
        ++depth;
        want_operand = true;
        continue;
      }
      if (t->type == T::kRParen) {
        if (want_operand && !is(toks_[k - 1], T::kLParen)) break;
        if (--depth == 0) return j;
        want_operand = false;
        continue;
      }
      if (want_operand) {
        if (t->type == T::kFunction) continue;  // '(' follows
        if (is_operand(t) || t->keyword == K::kValue) {
          want_operand = false;
        } else if (word(t, "SELECT") || t->keyword == K::kPrefix || t->type == T::kNot ||
                   (t->type == T::kOperator &&
                    (t->text == "-" || t->text == "+" || t->text == "*"))) {
          want_operand = t->text == "*" ? false : true;
        } else {
          break;
        }
      } else if (t->type == T::kComma || t->type == T::kOperator || t->type == T::kCompare ||
                 t->type == T::kLogic || t->keyword == K::kClause || t->keyword == K::kAs) {
        want_operand = true;
      } else if (t->keyword == K::kClose) {
        continue;  // "CASE WHEN ... END", "ORDER BY x DESC" inside the arguments
      } else {
        break;
      }
    }
  }
  return kNone;
}

// A complete "UNION [ALL] SELECT <list> FROM <table>" (strict select) outside the
// application's literal, whatever junk precedes it ("-[id]", "{d 2}", "REAL 1"), or a SELECT
// statement as the operand of AND/OR ("1 AND SELECT TOP 10 name FROM users"). A word right
// before is prose ("credit union select ...", "cats and select dogs from shelters").
size_t Parser::find_union_statement() const {
  for (size_t j = quoted_ ? 1 : 0; j + 1 < n_; ++j) {
    bool set_op = toks_[j]->type == T::kUnion;
    if (!set_op && toks_[j]->type != T::kLogic) continue;
    if (j > 0 && is(at(j - 1), T::kBareword)) continue;
    if (!set_op && j == 0) continue;
    size_t k = j + 1;
    if (!set_op && !word(at(k), "SELECT")) continue;
    while (word(at(k), "ALL") || word(at(k), "DISTINCT")) ++k;
    while (is(at(k), T::kLParen)) ++k;
    if (word(at(k), "SELECT") && select_is_strong(k, true)) return j;
  }
  return kNone;
}

SqliVerdict Parser::run() {
  SqliVerdict v = parse();
  if (v.flagged) return v;
  // The expression parse stopped early (junk before the set operation): a whole statement
  // later in the input still decides.
  if (size_t u = find_union_statement(); u != kNone) return flag("UNION SELECT statement", u);
  return v;
}

SqliVerdict Parser::parse() {
  if (size_t d = find_dangerous_call(); d != kNone && (!quoted_ || d > 0)) {
    return flag("dangerous function call", d);
  }
  size_t i = 0;
  if (quoted_) {
    if (n_ == 0 || toks_[0]->has(kSqlFlagUnterminated))
      return pass("no break out of the literal", 0);
    i = 1;  // the application's literal, closed by the input: an operand
    if (n_ == 1) {
      if (trailing_comment_ != nullptr && blank_comment(trailing_comment_->text) &&
          !prose_quote()) {
        return flag("comment truncates the query after a quote break", n_);
      }
      return pass("nothing after the quote break", n_);
    }
  }
  // "9999' (select count(*) from ...)": a subquery right after the break. Not valid SQL
  // there, but nothing else explains a quote break followed by "(SELECT".
  if (quoted_ && is(at(1), T::kLParen) && word(at(2), "SELECT") && select_is_strong(2, false)) {
    return flag("subquery after a quote break", 2);
  }
  // Bare, the same after a leading number ("-1 --\n (select id from users limit 1,1)"), with a
  // complete statement (strict select): "1 (select one from the list)" stays prose.
  if (!quoted_ && n_ > 0) {
    size_t v = (toks_[0]->text == "-" || toks_[0]->text == "+") ? 1 : 0;
    if (is(at(v), T::kNumber) && is(at(v + 1), T::kLParen) && word(at(v + 2), "SELECT") &&
        select_is_strong(v + 2, true)) {
      return flag("subquery after a value", v + 2);
    }
  }
  enum class St { kOperand, kAfter };
  St st = St::kOperand;
  if (quoted_) {
    st = St::kAfter;
  } else {
    // Bare: a leading operator / logic / ')' continues a value the application wrote.
    const SqlToken* f = toks_[0];
    if (n_ == 0) return pass("empty", 0);
    bool leads_operand =
        is_operand(f) || f->type == T::kLParen || f->type == T::kNot || f->type == T::kStatement ||
        f->keyword == K::kPrefix ||
        (f->type == T::kOperator && (f->text == "-" || f->text == "+" || f->text == "~"));
    if (!leads_operand) st = St::kAfter;
  }

  int depth = 0;
  size_t logic_at = kNone;
  bool bool_rhs = false;      // the right side of the last logic operator is a condition
  bool compare_seen = false;  // a comparison after the break
  bool compare_before_logic = false;
  bool symbolic_compare = false;  // = < > <> ... (not LIKE / IS)
  bool operator_seen = false;     // a binary arithmetic / bitwise operator
  bool order_probe = false;
  bool terminated = false;  // ';' with nothing after
  bool in_statement = false;
  bool prev_alias = false;
  size_t evil_at = kNone;
  int evil_depth = 0;
  size_t first = i;
  bool top_comma = false;  // a ',' outside any parenthesis the input opened
  int min_depth = 0;       // below 0: the input closed parentheses the application opened

  bool bool_found = false;  // some logic operator got a condition as its right side
  // Known SQL function calls: a call nested in another known call ("ascii(substring(x,1,1))",
  // "length(version())") or a call reading the server's identity is the shape of blind
  // extraction; values and prose do not nest SQL built-ins.
  int known_call_depth = -1;  // paren depth opened by the outermost known call, -1 when none
  bool nested_known_call = false;
  bool info_seen = false;
  // CASE ... WHEN ... THEN ... END: a complete conditional expression (boolean-blind).
  int case_open = 0;
  bool case_when = false;
  bool case_complete = false;
  // An invalid continuation means the database would reject the query: not an injection,
  // unless a complete boolean condition came first and the parse stopped on SQL syntax this
  // parser does not model (a keyword), not on prose (two words in a row).
  auto stop = [&](std::string_view reason, size_t j) {
    const SqlToken* t = at(j);
    bool sqlish =
        t != nullptr && (t->type == T::kUnion || t->type == T::kStatement ||
                         t->type == T::kKeyword || t->type == T::kLParen || t->type == T::kUnknown);
    if (bool_found && sqlish) return flag("boolean condition, then unparsed SQL", j);
    return pass(reason, j);
  };
  for (; i < n_; ++i) {
    if (logic_at != kNone && bool_rhs) bool_found = true;
    const SqlToken* t = toks_[i];
    const SqlToken* prev = i > 0 ? toks_[i - 1] : nullptr;
    bool alias_now = false;
    if (st == St::kOperand) {
      switch (t->type) {
        case T::kNumber:
          if (logic_at != kNone && quoted_) bool_rhs = true;
          st = St::kAfter;
          break;
        case T::kBareword:
          // After a quote break and a logic operator, "or json_valid (id)" is a call to a
          // function this tokenizer does not know.
          if (quoted_ && logic_at != kNone && is(at(i + 1), T::kLParen)) {
            bool_rhs = true;
            break;  // stays in operand state: '(' follows
          }
          st = St::kAfter;
          break;
        case T::kString:
        case T::kVariable:
          if (info_call(t)) info_seen = true;
          st = St::kAfter;
          break;
        case T::kKeyword:
          if (t->keyword == K::kValue) {
            if (logic_at != kNone && (word(t, "TRUE") || word(t, "FALSE"))) bool_rhs = true;
            st = St::kAfter;
          } else if (t->keyword != K::kPrefix && !(word(t, "WHEN") && word(prev, "CASE"))) {
            return stop("keyword where an operand belongs", i);
          }
          if (word(t, "CASE")) ++case_open;
          if (word(t, "WHEN") && case_open > 0) case_when = true;
          break;
        case T::kFunction:
          // English plural notation, "user(s) and group(s)", "file(es)": a word, not a call.
          if (is(at(i + 1), T::kLParen) && is(at(i + 2), T::kBareword) &&
              at(i + 2)->text.size() <= 2 && is(at(i + 3), T::kRParen) &&
              !at(i + 1)->has(kSqlFlagSpaceBefore)) {
            i += 3;
            st = St::kAfter;
            break;
          }
          if (logic_at != kNone) bool_rhs = true;
          // version(), database(), user(): no arguments ("user(s)" is English).
          if (info_call(t) && is(at(i + 1), T::kLParen) && is(at(i + 2), T::kRParen)) {
            info_seen = true;
          }
          if (t->keyword == K::kFunc || t->keyword == K::kEvilFunc) {
            if (known_call_depth < 0) {
              known_call_depth = depth + 1;
            } else if (depth >= known_call_depth) {
              nested_known_call = true;
            }
          }
          if (t->keyword == K::kEvilFunc && evil_at == kNone) {
            evil_at = i;
            evil_depth = depth;
          }
          if (!is(at(i + 1), T::kLParen)) return stop("call without arguments", i);
          break;
        case T::kLParen:
          ++depth;
          if (is(at(i + 1), T::kStatement) && word(at(i + 1), "SELECT")) {
            if (select_is_strong(i + 1, false)) return flag("subquery", i + 1);
            in_statement = true;
          }
          break;
        case T::kRParen:
          if (!is(prev, T::kLParen)) return stop("')' where an operand belongs", i);
          if (depth == known_call_depth) known_call_depth = -1;
          --depth;
          st = St::kAfter;
          if (evil_at != kNone && depth == evil_depth)
            return flag("dangerous function call", evil_at);
          break;
        case T::kOperator:
          if (t->text == "*" &&
              (is(prev, T::kLParen) || is(prev, T::kComma) || word(prev, "SELECT"))) {
            st = St::kAfter;
          } else if (t->text != "-" && t->text != "+" && t->text != "~") {
            return stop("operator where an operand belongs", i);
          }
          break;
        case T::kNot:
          break;
        case T::kStatement:
          if (i == first && !quoted_) {
            if (statement_is_strong(i, true)) return flag("SQL statement", i);
            return stop("incomplete statement", i);
          }
          if (word(t, "SELECT") && is(prev, T::kLParen)) {
            in_statement = true;
            break;
          }
          if (!word(t, "SELECT")) {  // "show", "use", "load"...: identifiers here
            st = St::kAfter;
            break;
          }
          return stop("statement keyword where an operand belongs", i);
        default:
          return stop("token where an operand belongs", i);
      }
    } else {  // St::kAfter: an operand is complete
      switch (t->type) {
        case T::kOperator:
          if (t->text == "~") return stop("unary operator after an operand", i);
          operator_seen = true;
          // "' or ''-'": arithmetic after a quote break. Bare, "80% ACRYLIC AND 20% WOOL" is
          // arithmetic too, so there only comparisons and calls make a condition.
          if (logic_at != kNone && quoted_) bool_rhs = true;
          st = St::kOperand;
          break;
        case T::kCompare:
          // MySQL full-text "MATCH (c) AGAINST ('x' IN BOOLEAN MODE)": a search modifier, not
          // an IN list; the value stays complete.
          if (word(t, "IN") && word(at(i + 1), "BOOLEAN") && word(at(i + 2), "MODE")) {
            i += 2;
            break;
          }
          if (word(t, "SOUNDS") && word(at(i + 1), "LIKE")) ++i;
          compare_seen = true;
          if (logic_at == kNone) compare_before_logic = true;
          if (!is_alpha_word(t->text)) symbolic_compare = true;
          if (logic_at != kNone) bool_rhs = true;
          st = St::kOperand;
          break;
        case T::kNot:
          if (!is(at(i + 1), T::kCompare)) return stop("NOT after an operand", i);
          break;
        case T::kLogic:
          logic_at = i;
          bool_rhs = false;
          st = St::kOperand;
          break;
        case T::kRParen:
          if (depth == known_call_depth) known_call_depth = -1;
          --depth;
          if (depth < min_depth) min_depth = depth;
          if (evil_at != kNone && depth == evil_depth)
            return flag("dangerous function call", evil_at);
          break;
        case T::kComma:
          if (depth == 0 && !in_statement) top_comma = true;
          st = St::kOperand;
          break;
        case T::kSemicolon: {
          size_t j = i;
          while (is(at(j), T::kSemicolon)) ++j;
          if (at_end(j)) {
            terminated = true;
            i = j;
            goto done;
          }
          if (is(at(j), T::kStatement) &&
              (statement_is_strong(j, false) ||
               (quoted_ && word(at(j), "SELECT") && is_operand(at(j + 1))))) {
            return flag("stacked query", j);
          }
          // "; sleep(5)" (MySQL DO-less call in a multi-statement API, PostgreSQL SELECT-less
          // call in some drivers).
          if (is(at(j), T::kFunction) && (at(j)->keyword == K::kEvilFunc || word(at(j), "IF"))) {
            return flag("stacked dangerous call", j);
          }
          return stop("';' not followed by a statement", j);
        }
        case T::kUnion: {
          size_t j = i + 1;
          while (word(at(j), "ALL") || word(at(j), "DISTINCT")) ++j;
          while (is(at(j), T::kLParen)) ++j;
          // After a number, string or ')' (not a word: "best union select deals") the UNION
          // already is structure; any select list completes it.
          bool after_word = is(prev, T::kBareword) && !quoted_;
          // Quoted, "' union select" may end the input: the application's closing quote
          // then supplies the select list.
          if (word(at(j), "SELECT") &&
              (select_is_strong(j, false) || (!after_word && is_operand(at(j + 1))) ||
               ((quoted_ || !after_word) && at_end(j + 1)))) {
            return flag("UNION SELECT", i);
          }
          return stop("UNION without a SELECT", i);
        }
        case T::kString:
          // MySQL (and PostgreSQL across a newline) concatenates adjacent literals: "'1' '12'"
          // is one operand.
          if (is(prev, T::kString)) break;
          return stop("two operands in a row", i);
        case T::kStatement:
          // "FOO WAITFOR DELAY '0:0:5'": a statement no prose spells, whatever precedes it.
          if (word(t, "WAITFOR") && statement_is_strong(i, false)) {
            return flag(kSqliBatchStatement, i);
          }
          // MSSQL runs "... 'x' exec xp_cmdshell ..." as a batch, no ';' needed. Bare, a word
          // before the statement keyword is prose ("Please select pair #1").
          if (!quoted_ && !(is(prev, T::kNumber) || is(prev, T::kRParen) || is(prev, T::kString))) {
            return stop("statement keyword after a word", i);
          }
          if (statement_is_strong(i, !quoted_)) return flag(kSqliBatchStatement, i);
          return stop("statement keyword after an operand", i);
        case T::kKeyword:
          switch (t->keyword) {
            case K::kAs:
              if (is(at(i + 1), T::kBareword) || is(at(i + 1), T::kString)) {
                ++i;
              } else {
                return stop("AS without alias", i);
              }
              break;
            case K::kOrderGroup:
              if (!word(at(i + 1), "BY")) return stop("ORDER/GROUP without BY", i);
              ++i;
              if (is(at(i + 1), T::kNumber) || (is(at(i + 1), T::kBareword) && quoted_) ||
                  (is(at(i + 1), T::kFunction) && is(at(i + 2), T::kLParen))) {
                order_probe = true;
              }
              in_statement = true;  // "ORDER BY 1,2,3": a list
              st = St::kOperand;
              break;
            case K::kClose:
              if (word(t, "END") && case_open > 0) {
                --case_open;
                if (case_when) case_complete = true;
              }
              break;
            case K::kClause:
              if (word(t, "HAVING")) {
                logic_at = i;
                bool_rhs = false;
              }
              if (word(t, "INTO") && (word(at(i + 1), "OUTFILE") || word(at(i + 1), "DUMPFILE"))) {
                return flag("INTO OUTFILE", i);
              }
              if (word(t, "FROM")) in_statement = true;
              if (word(t, "WHEN") && case_open > 0) case_when = true;
              st = St::kOperand;
              break;
            default:
              return stop("keyword after an operand", i);
          }
          break;
        case T::kBareword:
          // "(select ...) x", "from users u": aliases, only inside a statement the input
          // started (in a WHERE clause an alias is a syntax error).
          if (in_statement && !prev_alias && (is(prev, T::kRParen) || is(prev, T::kBareword))) {
            alias_now = true;
            break;
          }
          return stop("two operands in a row", i);
        case T::kDot:
          if (!t->has(kSqlFlagSpaceBefore) && !at_end(i + 1) &&
              !at(i + 1)->has(kSqlFlagSpaceBefore)) {
            st = St::kOperand;
            break;
          }
          return stop("stray '.'", i);
        default:
          return stop("two operands in a row", i);
      }
    }
    prev_alias = alias_now;
  }
done:
  if (logic_at != kNone && bool_rhs) bool_found = true;
  if (evil_at != kNone) return flag("dangerous function call", evil_at);
  if (!quoted_ && st == St::kOperand && trailing_comment_ == nullptr) {
    return pass("expression incomplete", n_);
  }
  // A value list "a, b OR c = d" is only SQL inside an IN (...) / VALUES (...) the application
  // opened, i.e. when the input also closes that parenthesis.
  if (top_comma && min_depth >= 0) return pass("comma-separated words", n_);
  if (st == St::kAfter && case_complete) return flag("CASE WHEN ... END expression", n_);
  if (st == St::kAfter && depth <= 0 && (nested_known_call || info_seen)) {
    return flag(info_seen ? "expression reads server identity" : "nested SQL function calls", n_);
  }
  if (bool_found) {
    return flag(quoted_ ? "boolean condition after a quote break" : "boolean condition", logic_at);
  }
  // Bare "1 = 1 OR 1": a comparison, then logic, led by a number or parenthesis (prose leads
  // with a word: "E = mc2 or so").
  if (!quoted_ && logic_at != kNone && compare_before_logic &&
      (is(at(0), T::kNumber) || is(at(0), T::kLParen) || is(at(0), T::kRParen))) {
    return flag("boolean condition", logic_at);
  }
  // "A' < 'B", "x' OR 'y": the input closed the literal, added an operator, and re-opened a
  // literal for the application's closing quote: balanced quotes around new structure.
  // Only symbolic comparisons ('"LIKE" STAMP' is a quoted word) and, for logic, only single
  // quotes (search boxes join "phrases" and "phrases") with something in the re-opened literal.
  const SqlToken* last = at(n_ - 1);
  bool single = quoted_ && toks_[0]->text.back() == '\'';
  // "'AND'", "'='": the input starts by closing the literal, so even an empty re-opened literal
  // counts; otherwise it must hold something ("DK'*" is just quotes).
  // Leading blanks before the breaking quote do not count (" '/1='"), and a full comparison
  // between the quotes ("1'*null is null - '") is structure even with an empty literal.
  bool starts_closing = false;
  if (quoted_) {
    std::string_view lit = toks_[0]->text;
    size_t lead = lit.find_first_not_of(" \t\r\n\v\f");
    starts_closing = lead != std::string_view::npos && lit.size() - lead == 1;
  }
  if (quoted_ && last != nullptr && last->has(kSqlFlagClosedByApp) &&
      (starts_closing || (compare_seen && n_ >= 5) ||
       last->text.find_first_not_of(last->text[0]) != std::string_view::npos)) {
    if (symbolic_compare || (single && (compare_seen || operator_seen))) {
      return flag("operator between re-balanced quotes", n_);
    }
    if (logic_at != kNone && single && (last->text.size() > 1 || starts_closing)) {
      return flag("boolean operator between re-balanced quotes", logic_at);
    }
  }
  if (order_probe) return flag("ORDER BY / GROUP BY probe", n_);
  // Bare: a complete expression with operators, then a comment that cuts the rest of the
  // query ("-1) -- ", "(1 OR 'b') --"). A lone value before "--" is not ("foo--").
  // The comment must stand apart: "1611-IioXXIG1ti8rspL2vbXFy--" is an identifier.
  // A number or variable alone before the stub comment ("1--", "@@version/*") is the classic
  // numeric-context truncation: only words make "foo--" an identifier-like value.
  bool no_words = true;
  for (size_t k = 0; k < n_; ++k) no_words = no_words && !is(at(k), T::kBareword);
  if (!quoted_ && trailing_comment_ != nullptr && blank_comment(trailing_comment_->text) &&
      (trailing_comment_->has(kSqlFlagSpaceBefore) || is(at(n_ - 1), T::kRParen) || no_words ||
       ((compare_seen || logic_at != kNone) && is(at(n_ - 1), T::kNumber))) &&
      st == St::kAfter &&
      (operator_seen || compare_seen || logic_at != kNone || min_depth < 0 ||
       is(at(0), T::kLParen) || (no_words && (is(at(0), T::kNumber) || is(at(0), T::kVariable))))) {
    return flag("expression, then a comment truncating the query", n_);
  }
  if (quoted_ && trailing_comment_ != nullptr &&
      ((blank_comment(trailing_comment_->text) && !prose_quote()) || compare_seen ||
       logic_at != kNone || terminated)) {
    return flag("comment truncates the query after a quote break", n_);
  }
  return pass("no SQL structure", n_);
}

}  // namespace

SqliVerdict analyze_sqli_tokens(const SqlTokenList& list, bool quoted) {
  Parser p(list, quoted);
  return p.run();
}

size_t sqli_fingerprint(const SqlTokenList& list, const SqliVerdict& v, char* out, size_t cap) {
  if (cap == 0) return 0;
  size_t end = v.decisive + 4;
  if (end > list.size) end = list.size;
  size_t begin = end > cap ? end - cap : 0;
  size_t n = 0;
  for (size_t i = begin; i < end && n < cap; ++i) out[n++] = list.tokens[i].letter();
  return n;
}

}  // namespace portcullis::rules
