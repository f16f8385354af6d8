#include "rules/sqli/sql_keywords.h"

#include <array>
#include <cstdint>

namespace portcullis::rules {
namespace {

using T = SqlTokenType;
using K = SqlKeyword;

struct Entry {
  std::string_view name;  // upper case
  T type;
  K keyword;
};

// Keep names upper case. Order does not matter: sorted at compile time below.
constexpr Entry kRaw[] = {
    // Boolean logic: the usual way an injected condition changes a WHERE clause.
    {"AND", T::kLogic, K::kNone},
    {"OR", T::kLogic, K::kNone},
    {"XOR", T::kLogic, K::kNone},
    {"NOT", T::kNot, K::kNone},
    // Set operations (UNION-based extraction).
    {"UNION", T::kUnion, K::kNone},
    {"INTERSECT", T::kUnion, K::kNone},
    {"EXCEPT", T::kUnion, K::kNone},
    {"MINUS", T::kUnion, K::kNone},
    // Statement starters (stacked queries, MSSQL batches without ';').
    {"SELECT", T::kStatement, K::kNone},
    {"INSERT", T::kStatement, K::kNone},
    {"UPDATE", T::kStatement, K::kNone},
    {"DELETE", T::kStatement, K::kNone},
    {"DROP", T::kStatement, K::kNone},
    {"CREATE", T::kStatement, K::kNone},
    {"ALTER", T::kStatement, K::kNone},
    {"TRUNCATE", T::kStatement, K::kNone},
    {"RENAME", T::kStatement, K::kNone},
    {"EXEC", T::kStatement, K::kNone},
    {"EXECUTE", T::kStatement, K::kNone},
    {"DECLARE", T::kStatement, K::kNone},
    {"SET", T::kStatement, K::kNone},
    {"SHUTDOWN", T::kStatement, K::kNone},
    {"WAITFOR", T::kStatement, K::kNone},
    {"GRANT", T::kStatement, K::kNone},
    {"REVOKE", T::kStatement, K::kNone},
    {"CALL", T::kStatement, K::kNone},
    {"LOAD", T::kStatement, K::kNone},
    {"COPY", T::kStatement, K::kNone},
    {"SHOW", T::kStatement, K::kNone},
    {"BEGIN", T::kStatement, K::kNone},
    {"GOTO", T::kStatement, K::kNone},
    {"HANDLER", T::kStatement, K::kNone},
    {"PREPARE", T::kStatement, K::kNone},
    {"BACKUP", T::kStatement, K::kNone},
    {"RESTORE", T::kStatement, K::kNone},
    {"MERGE", T::kStatement, K::kNone},
    {"DBCC", T::kStatement, K::kNone},
    {"USE", T::kStatement, K::kNone},
    {"WHILE", T::kStatement, K::kNone},
    {"PRINT", T::kStatement, K::kNone},
    {"IF", T::kStatement, K::kFunc},
    {"REPLACE", T::kStatement, K::kFunc},
    // Comparison keywords.
    {"LIKE", T::kCompare, K::kNone},
    {"RLIKE", T::kCompare, K::kNone},
    {"ILIKE", T::kCompare, K::kNone},
    {"REGEXP", T::kCompare, K::kNone},
    {"IS", T::kCompare, K::kNone},
    {"IN", T::kCompare, K::kNone},
    {"BETWEEN", T::kCompare, K::kNone},
    {"SOUNDS", T::kCompare, K::kNone},
    {"GLOB", T::kCompare, K::kNone},
    {"SIMILAR", T::kCompare, K::kNone},
    // Operator keywords.
    {"DIV", T::kOperator, K::kNone},
    {"MOD", T::kOperator, K::kFunc},
    {"COLLATE", T::kOperator, K::kNone},
    // Complete operands.
    {"TRUE", T::kKeyword, K::kValue},
    {"FALSE", T::kKeyword, K::kValue},
    {"NULL", T::kKeyword, K::kValue},
    {"UNKNOWN", T::kKeyword, K::kValue},
    {"CURRENT_USER", T::kKeyword, K::kValue},
    {"SESSION_USER", T::kKeyword, K::kValue},
    {"SYSTEM_USER", T::kKeyword, K::kValue},
    {"CURRENT_DATE", T::kKeyword, K::kValue},
    {"CURRENT_TIME", T::kKeyword, K::kValue},
    {"CURRENT_TIMESTAMP", T::kKeyword, K::kValue},
    {"LOCALTIME", T::kKeyword, K::kValue},
    {"LOCALTIMESTAMP", T::kKeyword, K::kValue},
    {"ROWNUM", T::kKeyword, K::kValue},
    // Operand prefixes.
    {"DISTINCT", T::kKeyword, K::kPrefix},
    {"DISTINCTROW", T::kKeyword, K::kPrefix},
    {"ALL", T::kKeyword, K::kPrefix},
    {"ANY", T::kKeyword, K::kPrefix},
    {"SOME", T::kKeyword, K::kPrefix},
    {"CASE", T::kKeyword, K::kPrefix},
    {"EXISTS", T::kKeyword, K::kPrefix},
    {"INTERVAL", T::kKeyword, K::kPrefix},
    {"BINARY", T::kKeyword, K::kPrefix},
    {"TOP", T::kKeyword, K::kPrefix},
    // Clause keywords: an operand follows.
    {"FROM", T::kKeyword, K::kClause},
    {"WHERE", T::kKeyword, K::kClause},
    {"HAVING", T::kKeyword, K::kClause},
    {"LIMIT", T::kKeyword, K::kClause},
    {"OFFSET", T::kKeyword, K::kClause},
    {"INTO", T::kKeyword, K::kClause},
    {"OUTFILE", T::kKeyword, K::kClause},
    {"DUMPFILE", T::kKeyword, K::kClause},
    {"VALUES", T::kKeyword, K::kClause},
    {"ON", T::kKeyword, K::kClause},
    {"USING", T::kKeyword, K::kClause},
    {"JOIN", T::kKeyword, K::kClause},
    {"INNER", T::kKeyword, K::kClause},
    {"OUTER", T::kKeyword, K::kClause},
    {"CROSS", T::kKeyword, K::kClause},
    {"WHEN", T::kKeyword, K::kClause},
    {"THEN", T::kKeyword, K::kClause},
    {"ELSE", T::kKeyword, K::kClause},
    {"FOR", T::kKeyword, K::kClause},
    {"PROCEDURE", T::kKeyword, K::kClause},
    {"WITH", T::kKeyword, K::kClause},
    {"BY", T::kKeyword, K::kClause},
    {"TABLE", T::kKeyword, K::kClause},
    {"DELAY", T::kKeyword, K::kClause},
    {"ESCAPE", T::kKeyword, K::kClause},
    {"AS", T::kKeyword, K::kAs},
    {"ORDER", T::kKeyword, K::kOrderGroup},
    {"GROUP", T::kKeyword, K::kOrderGroup},
    {"ASC", T::kKeyword, K::kClose},
    {"DESC", T::kKeyword, K::kClose},
    {"END", T::kKeyword, K::kClose},
    // Known functions (a call may have whitespace before '(' in PostgreSQL / MySQL
    // IGNORE_SPACE).
    {"ABS", T::kBareword, K::kFunc},
    {"AES_DECRYPT", T::kBareword, K::kFunc},
    {"AES_ENCRYPT", T::kBareword, K::kFunc},
    {"ARRAY_AGG", T::kBareword, K::kFunc},
    {"ASCII", T::kBareword, K::kFunc},
    {"BIN", T::kBareword, K::kFunc},
    {"CAST", T::kBareword, K::kFunc},
    {"CEIL", T::kBareword, K::kFunc},
    {"CHAR", T::kBareword, K::kFunc},
    {"CHR", T::kBareword, K::kFunc},
    {"COALESCE", T::kBareword, K::kFunc},
    {"CONCAT", T::kBareword, K::kFunc},
    {"CONCAT_WS", T::kBareword, K::kFunc},
    {"CONVERT", T::kBareword, K::kFunc},
    {"COS", T::kBareword, K::kFunc},
    {"COUNT", T::kBareword, K::kFunc},
    {"CURRENT_DATABASE", T::kBareword, K::kFunc},
    {"CURRENT_SETTING", T::kBareword, K::kFunc},
    {"DATABASE", T::kBareword, K::kFunc},
    {"DB_NAME", T::kBareword, K::kFunc},
    {"ELT", T::kBareword, K::kFunc},
    {"FLOOR", T::kBareword, K::kFunc},
    {"GETDATE", T::kBareword, K::kFunc},
    {"GROUP_CONCAT", T::kBareword, K::kFunc},
    {"HEX", T::kBareword, K::kFunc},
    {"HOST_NAME", T::kBareword, K::kFunc},
    {"IFNULL", T::kBareword, K::kFunc},
    {"INSTR", T::kBareword, K::kFunc},
    {"ISNULL", T::kBareword, K::kFunc},
    {"JSON_EXTRACT", T::kBareword, K::kFunc},
    {"LENGTH", T::kBareword, K::kFunc},
    {"LEN", T::kBareword, K::kFunc},
    {"LOCATE", T::kBareword, K::kFunc},
    {"LOWER", T::kBareword, K::kFunc},
    {"MAKE_SET", T::kBareword, K::kFunc},
    {"MD5", T::kBareword, K::kFunc},
    {"MID", T::kBareword, K::kFunc},
    {"NCHAR", T::kBareword, K::kFunc},
    {"NOW", T::kBareword, K::kFunc},
    {"NULLIF", T::kBareword, K::kFunc},
    {"ORD", T::kBareword, K::kFunc},
    {"PI", T::kBareword, K::kFunc},
    {"POW", T::kBareword, K::kFunc},
    {"POWER", T::kBareword, K::kFunc},
    {"RAND", T::kBareword, K::kFunc},
    {"REVERSE", T::kBareword, K::kFunc},
    {"SCHEMA", T::kBareword, K::kFunc},
    {"SHA1", T::kBareword, K::kFunc},
    {"SIN", T::kBareword, K::kFunc},
    {"STRCMP", T::kBareword, K::kFunc},
    {"STRING_AGG", T::kBareword, K::kFunc},
    {"SUBSTR", T::kBareword, K::kFunc},
    {"SUBSTRING", T::kBareword, K::kFunc},
    {"SYSDATE", T::kBareword, K::kFunc},
    {"TO_CHAR", T::kBareword, K::kFunc},
    {"UNHEX", T::kBareword, K::kFunc},
    {"UNICODE", T::kBareword, K::kFunc},
    {"UPPER", T::kBareword, K::kFunc},
    {"USER", T::kBareword, K::kFunc},
    {"USER_NAME", T::kBareword, K::kFunc},
    {"VERSION", T::kBareword, K::kFunc},
    // Time-based blind, error-based, file and command execution primitives.
    {"SLEEP", T::kBareword, K::kEvilFunc},
    {"BENCHMARK", T::kBareword, K::kEvilFunc},
    {"PG_SLEEP", T::kBareword, K::kEvilFunc},
    {"PG_SLEEP_FOR", T::kBareword, K::kEvilFunc},
    {"PG_SLEEP_UNTIL", T::kBareword, K::kEvilFunc},
    {"DBMS_PIPE.RECEIVE_MESSAGE", T::kBareword, K::kEvilFunc},
    {"RECEIVE_MESSAGE", T::kBareword, K::kEvilFunc},
    {"DBMS_LOCK.SLEEP", T::kBareword, K::kEvilFunc},
    {"RANDOMBLOB", T::kBareword, K::kEvilFunc},
    {"EXTRACTVALUE", T::kBareword, K::kEvilFunc},
    {"UPDATEXML", T::kBareword, K::kEvilFunc},
    {"NAME_CONST", T::kBareword, K::kEvilFunc},
    {"GTID_SUBSET", T::kBareword, K::kEvilFunc},
    {"GEOMETRYCOLLECTION", T::kBareword, K::kEvilFunc},
    {"MULTIPOINT", T::kBareword, K::kEvilFunc},
    {"MULTIPOLYGON", T::kBareword, K::kEvilFunc},
    {"MULTILINESTRING", T::kBareword, K::kEvilFunc},
    {"LINESTRING", T::kBareword, K::kEvilFunc},
    {"LOAD_FILE", T::kBareword, K::kEvilFunc},
    {"PG_READ_FILE", T::kBareword, K::kEvilFunc},
    {"PG_READ_BINARY_FILE", T::kBareword, K::kEvilFunc},
    {"PG_LS_DIR", T::kBareword, K::kEvilFunc},
    {"LO_IMPORT", T::kBareword, K::kEvilFunc},
    {"LOAD_EXTENSION", T::kBareword, K::kEvilFunc},
    {"SYS_EVAL", T::kBareword, K::kEvilFunc},
    {"SYS_EXEC", T::kBareword, K::kEvilFunc},
    {"XP_CMDSHELL", T::kBareword, K::kEvilFunc},
    {"XP_DIRTREE", T::kBareword, K::kEvilFunc},
    {"XP_FILEEXIST", T::kBareword, K::kEvilFunc},
    {"XP_REGREAD", T::kBareword, K::kEvilFunc},
    {"SP_EXECUTESQL", T::kBareword, K::kEvilFunc},
    {"SP_OACREATE", T::kBareword, K::kEvilFunc},
    {"SP_MAKEWEBTASK", T::kBareword, K::kEvilFunc},
    {"GET_HOST_ADDRESS", T::kBareword, K::kEvilFunc},
    {"GET_HOST_NAME", T::kBareword, K::kEvilFunc},
    {"UTL_HTTP.REQUEST", T::kBareword, K::kEvilFunc},
    {"DBMS_LDAP.INIT", T::kBareword, K::kEvilFunc},
    {"CTXSYS.DRITHSX.SN", T::kBareword, K::kEvilFunc},
    {"DBLINK", T::kBareword, K::kEvilFunc},
    {"DBLINK_CONNECT", T::kBareword, K::kEvilFunc},
    {"OPENROWSET", T::kBareword, K::kEvilFunc},
    {"OPENDATASOURCE", T::kBareword, K::kEvilFunc},
};

constexpr size_t kCount = sizeof(kRaw) / sizeof(kRaw[0]);

constexpr char upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c; }

// Open-addressing hash table built at compile time (linear probing, load factor < 1/4): every
// word of every input is classified, and most are not keywords, so a miss must be cheap. The
// hash reads only the length and the first two and last two bytes (upper-cased), so it costs the
// same for any word; a miss usually ends at the first (empty) slot, where a binary search needed
// ~8 string comparisons.
constexpr size_t kSlots = 1024;
static_assert(kCount * 4 < kSlots, "keep the table sparse: misses end at an empty slot");

constexpr uint32_t hash_upper(const char* p, size_t n) {  // n >= 1
  auto b = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(upper(p[i]))); };
  uint32_t v = b(0) | b(n > 1 ? 1 : 0) << 8 | b(n > 1 ? n - 2 : 0) << 16 | b(n - 1) << 24;
  uint32_t h = (v ^ static_cast<uint32_t>(n) * 0x9E3779B1u) * 0x85EBCA77u;
  return h ^ (h >> 15);
}

// Slot -> entry index + 1 (0: empty).
constexpr std::array<uint16_t, kSlots> kIndex = [] {
  std::array<uint16_t, kSlots> t{};
  for (size_t i = 0; i < kCount; ++i) {
    size_t slot = hash_upper(kRaw[i].name.data(), kRaw[i].name.size()) & (kSlots - 1);
    while (t[slot] != 0) slot = (slot + 1) & (kSlots - 1);
    t[slot] = static_cast<uint16_t>(i + 1);
  }
  return t;
}();

constexpr size_t kLongestName = [] {
  size_t m = 0;
  for (const Entry& e : kRaw) m = e.name.size() > m ? e.name.size() : m;
  return m;
}();

// Case-insensitive: `word` in any case against an upper-case name of the same length.
bool equals_upper(std::string_view word, std::string_view up) {
  for (size_t i = 0; i < word.size(); ++i) {
    if (upper(word[i]) != up[i]) return false;
  }
  return true;
}

const Entry* lookup(std::string_view word) {
  // A longer word cannot equal any name.
  if (word.empty() || word.size() > kLongestName) return nullptr;
  size_t slot = hash_upper(word.data(), word.size()) & (kSlots - 1);
  for (uint16_t idx; (idx = kIndex[slot]) != 0; slot = (slot + 1) & (kSlots - 1)) {
    const Entry& e = kRaw[idx - 1];
    if (e.name.size() == word.size() && equals_upper(word, e.name)) return &e;
  }
  return nullptr;
}

}  // namespace

bool sql_word_equals(std::string_view word, std::string_view up) {
  if (word.size() != up.size()) return false;
  for (size_t i = 0; i < word.size(); ++i) {
    if (upper(word[i]) != up[i]) return false;
  }
  return true;
}

SqlWordClass classify_sql_word(std::string_view word) {
  const Entry* e = lookup(word);
  if (e == nullptr) {
    // Qualified name: "master..xp_cmdshell", "utl_inaddr.get_host_address": the last part
    // decides whether it is a dangerous function; a qualified name is never a keyword.
    size_t dot = word.rfind('.');
    if (dot != std::string_view::npos && dot + 1 < word.size()) {
      e = lookup(word.substr(dot + 1));
      if (e != nullptr && e->keyword == K::kEvilFunc) return {T::kBareword, K::kEvilFunc};
    }
    return {};
  }
  return {e->type, e->keyword};
}

}  // namespace portcullis::rules
