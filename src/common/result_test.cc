#include "common/result.h"

#include <gtest/gtest.h>

#include <cerrno>

namespace kata {
namespace {

Result<int> half(int x) {
  if (x % 2 != 0) return Error(Code::kInvalidArgument, "odd number");
  return x / 2;
}

Result<int> quarter(int x) {
  KATA_ASSIGN_OR_RETURN(int h, half(x));
  return half(h);
}

Result<void> check_even(int x) {
  KATA_TRY(half(x));
  return {};
}

TEST(ResultTest, ValueAndErrorPropagate) {
  ASSERT_TRUE(quarter(8));
  EXPECT_EQ(*quarter(8), 2);
  Result<int> bad = quarter(6);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), Code::kInvalidArgument);
  EXPECT_TRUE(check_even(4));
  EXPECT_FALSE(check_even(3));
}

TEST(ResultTest, ContextPrependsLayers) {
  Result<int> r = half(3).context("load").context("start sandbox x");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), "start sandbox x: load: odd number");
}

TEST(ResultTest, ErrnoMapsToCode) {
  Error e = Error::from_errno(ENOENT, "open `/x`");
  EXPECT_EQ(e.code(), Code::kNotFound);
  EXPECT_EQ(e.sys_errno(), ENOENT);
  EXPECT_EQ(e.message(), "open `/x`: No such file or directory");
  EXPECT_EQ(code_from_errno(ENOSYS), Code::kUnimplemented);
}

}  // namespace
}  // namespace kata
