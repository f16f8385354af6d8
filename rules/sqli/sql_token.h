// SQL token types shared by the tokenizer, the detector and the explain tool.
// A token is a view into the caller's input plus a one-letter type (libinjection-style
// fingerprint letters), so a token stream is a fixed-size array with no heap.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace portcullis::rules {

// The enumerator value is the fingerprint letter.
enum class SqlTokenType : char {
  kString = 's',     // '..', "..", N'..', E'..', X'..', $$..$$
  kNumber = '1',     // 42, 1.5, 1e5, 0x1F, 0b01
  kBareword = 'n',   // identifier or unknown word, `quoted` identifier
  kKeyword = 'k',    // other SQL keyword (FROM, WHERE, NULL, TRUE, ORDER, BY, ...)
  kUnion = 'U',      // UNION, INTERSECT, EXCEPT, MINUS
  kStatement = 'E',  // statement starter: SELECT, DROP, EXEC, DECLARE, WAITFOR, ...
  kLogic = '&',      // AND, OR, XOR, &&, ||
  kNot = '!',        // NOT, !
  kFunction = 'f',   // a name followed by '(' (known SQL functions also across whitespace)
  kOperator = 'o',   // arithmetic / bitwise / cast / assignment: + - * / % & | ^ :: := DIV
  kCompare = '=',    // = < > <> != <=> <= >= LIKE IS IN BETWEEN REGEXP ...
  kVariable = 'v',   // @x, @@version, :name, $1
  kLParen = '(',
  kRParen = ')',
  kComma = ',',
  kSemicolon = ';',
  kDot = '.',
  kComment = 'c',  // -- # /* */ (MySQL /*! */ executable comments are code, not comments)
  kUnknown = '?',  // anything SQL has no use for: { } [ ? \ control bytes, ...
};

// Sub-class of a keyword, from the keyword table.
enum class SqlKeyword : uint8_t {
  kNone = 0,
  kValue,       // TRUE FALSE NULL CURRENT_USER ...: a complete operand
  kPrefix,      // DISTINCT ALL CASE EXISTS INTERVAL BINARY TOP ...: operand follows
  kClause,      // FROM WHERE HAVING LIMIT INTO VALUES WHEN THEN ...: operand follows
  kAs,          // AS: an alias follows
  kOrderGroup,  // ORDER GROUP: BY follows
  kClose,       // ASC DESC END: ends an operand
  kFunc,        // a known SQL function name
  kEvilFunc,    // a time-based / error-based / file / command function (SLEEP, xp_cmdshell)
};

enum SqlTokenFlags : uint8_t {
  kSqlFlagUnterminated = 1 << 0,  // string or block comment that runs to the end of input
  kSqlFlagContextOpen = 1 << 1,   // the literal the application opened (quote contexts)
  kSqlFlagClosedByApp = 1 << 2,   // a string the input opened and the app's quote closes
  kSqlFlagSpaceBefore = 1 << 3,   // whitespace (or a comment) precedes the token
  kSqlFlagSystemVar = 1 << 4,     // @@version style server variable
  kSqlFlagLineComment = 1 << 5,   // -- or # comment (vs /* */)
};

struct SqlToken {
  std::string_view text;
  SqlTokenType type = SqlTokenType::kUnknown;
  SqlKeyword keyword = SqlKeyword::kNone;
  uint8_t flags = 0;

  bool has(uint8_t f) const { return (flags & f) != 0; }
  char letter() const { return static_cast<char>(type); }
};

}  // namespace portcullis::rules
