#include "rules/sqli/sql_tokenizer.h"

#include <gtest/gtest.h>

#include <string>

namespace portcullis::rules {
namespace {

// Fingerprint letters of the whole token stream, e.g. "s&1=1c".
std::string letters(std::string_view in, SqlTokenizerOptions opt = {}) {
  SqlTokenList list;
  tokenize_sql(in, opt, list);
  std::string s;
  for (size_t i = 0; i < list.size; ++i) s += list.tokens[i].letter();
  return s;
}

std::string text(std::string_view in, size_t i, SqlTokenizerOptions opt = {}) {
  SqlTokenList list;
  tokenize_sql(in, opt, list);
  return i < list.size ? std::string(list.tokens[i].text) : std::string("<none>");
}

TEST(SqlTokenizer, StringsAllQuoteStylesAndEscapes) {
  EXPECT_EQ(letters("'it''s'"), "s");  // doubled quote
  EXPECT_EQ(letters("\"a\"\"b\""), "s");
  EXPECT_EQ(letters("'a\\'c'"), "sns");                          // ANSI: backslash is literal
  EXPECT_EQ(letters("'a\\'c'", {0, true}), "s");                 // MySQL: \' escapes
  EXPECT_EQ(letters("N'x' E'y\\'z' X'4142' _utf8'a'"), "ssss");  // prefixes
  EXPECT_EQ(letters("$$a'b$$ $tag$x$tag$"), "ss");               // PostgreSQL dollar quotes
  EXPECT_EQ(letters("`select`"), "n");                           // backtick identifier
  SqlTokenList list;
  tokenize_sql("'open", {}, list);
  ASSERT_EQ(list.size, 1u);
  EXPECT_TRUE(list.tokens[0].has(kSqlFlagUnterminated));
}

TEST(SqlTokenizer, StartsInsideTheApplicationsLiteral) {
  SqlTokenizerOptions single{'\'', false};
  EXPECT_EQ(letters("abc", single), "s");
  EXPECT_EQ(letters("x' OR 1=1--", single), "s&1=1c");
  EXPECT_EQ(text("x' OR 1=1--", 0, single), "x'");
  EXPECT_EQ(letters("it''s fine", single), "s");  // escaped quote: no break
  SqlTokenList list;
  tokenize_sql("' or 'a'='a", single, list);
  ASSERT_EQ(letters("' or 'a'='a", single), "s&s=s");
  EXPECT_TRUE(list.tokens[4].has(kSqlFlagClosedByApp));  // the app's quote closes it
}

TEST(SqlTokenizer, Comments) {
  EXPECT_EQ(letters("1 -- x"), "1c");
  EXPECT_EQ(letters("1 --x"), "1c");  // PostgreSQL/MSSQL need no space
  EXPECT_EQ(letters("1 # x"), "1c");
  EXPECT_EQ(letters("1 /* x */ 2"), "1c1");
  EXPECT_EQ(letters("1 --a\n2"), "1c1");
  EXPECT_EQ(letters("/*!50000UNION*/ /*!SELECT*/ 1"), "UE1");  // MySQL executable comments
  SqlTokenList list;
  tokenize_sql("1 /* open", {}, list);
  ASSERT_EQ(list.size, 2u);
  EXPECT_TRUE(list.tokens[1].has(kSqlFlagUnterminated));
}

TEST(SqlTokenizer, Numbers) {
  EXPECT_EQ(letters("42 1.5 .5 1e10 1.2E-3 0x1F 0b101"), "1111111");
  EXPECT_EQ(text("0xDEADbeef", 0), "0xDEADbeef");
  EXPECT_EQ(letters("1union"), "1U");  // MySQL splits number + keyword
  EXPECT_EQ(letters("1foo 5desc"), "nn");
  EXPECT_EQ(letters("1.2eill"), "n");  // fuzzer regression: used to emit empty tokens
  EXPECT_EQ(letters("\\N"), "k");      // MySQL NULL
}

TEST(SqlTokenizer, OperatorsAndLogic) {
  EXPECT_EQ(letters("a <=> b"), "n=n");
  EXPECT_EQ(letters("a || b && c"), "n&n&n");
  EXPECT_EQ(letters("a::int"), "non");
  EXPECT_EQ(letters("a != b <> c"), "n=n=n");
  EXPECT_EQ(letters("a AND b OR c XOR d"), "n&n&n&n");
  EXPECT_EQ(letters("NOT a"), "!n");
  EXPECT_EQ(letters("a LIKE b"), "n=n");
  EXPECT_EQ(letters("a == b"), "n?n");  // not SQL
}

TEST(SqlTokenizer, KeywordsFunctionsVariables) {
  EXPECT_EQ(letters("UNION ALL SELECT"), "UkE");
  EXPECT_EQ(letters("sleep(5)"), "f(1)");
  EXPECT_EQ(letters("SLEEP   (5)"), "f(1)");  // known function across whitespace
  EXPECT_EQ(letters("foo (5)"), "n(1)");      // unknown word + space: not a call
  EXPECT_EQ(letters("foo(5)"), "f(1)");
  EXPECT_EQ(letters("dbms_pipe.receive_message('a',5)"), "f(s,1)");
  EXPECT_EQ(letters("master..xp_cmdshell"), "n");
  EXPECT_EQ(letters("@@version @x :name $1"), "vvvv");
  EXPECT_EQ(letters("WAITFOR DELAY '0:0:5'"), "Eks");
  EXPECT_EQ(letters("information_schema.tables"), "n");
  SqlTokenList list;
  tokenize_sql("sleep(1)", {}, list);
  EXPECT_EQ(list.tokens[0].keyword, SqlKeyword::kEvilFunc);
  tokenize_sql("@@version", {}, list);
  EXPECT_TRUE(list.tokens[0].has(kSqlFlagSystemVar));
}

TEST(SqlTokenizer, TokenLimitIsBounded) {
  std::string many;
  for (int i = 0; i < 1000; ++i) many += "1,";
  SqlTokenList list;
  tokenize_sql(many, {}, list);
  EXPECT_EQ(list.size, SqlTokenList::kMaxTokens);
  EXPECT_TRUE(list.truncated);
}

TEST(SqlTokenizer, ArbitraryBytesNeverStall) {
  std::string bin;
  for (int i = 0; i < 256; ++i) bin += static_cast<char>(255 - i);
  SqlTokenList list;
  tokenize_sql(bin, {}, list);
  EXPECT_GT(list.size, 0u);
}

}  // namespace
}  // namespace portcullis::rules
