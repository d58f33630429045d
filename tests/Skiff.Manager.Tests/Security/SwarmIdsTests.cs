using System.Numerics;
using CsCheck;
using Skiff.Manager.Security;

namespace Skiff.Manager.Tests.Security;

public class SwarmIdsTests
{
    private const string IdPattern = "^[0-9a-z]{25}$";

    [Fact]
    public void New_Always_Is25LowercaseBase36WithinRange()
    {
        Gen.Int.Select(_ => SwarmIds.New()).Sample(id =>
        {
            Assert.Matches(IdPattern, id);
            Assert.True(SwarmIds.IsValid(id));
            Assert.True(Base36.Decode(id).GetBitLength() <= 128);
        });
    }

    [Fact]
    public void New_ManyCalls_AreUnique()
    {
        Gen.Int[2, 500].Sample(count =>
            Enumerable.Range(0, count).Select(_ => SwarmIds.New()).Distinct().Count() == count);
    }

    [Fact]
    public void Short_FullId_IsFirst12Chars()
    {
        var id = SwarmIds.New();
        Assert.Equal(id[..12], SwarmIds.Short(id));
        Assert.Equal("abc", SwarmIds.Short("abc"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("ABCDEFGHIJKLMNOPQRSTUVWXY")]
    [InlineData("zzzzzzzzzzzzzzzzzzzzzzzzz")] // 25 chars but above 2^128
    [InlineData("0000000000000000000000000-")]
    public void IsValid_BadShape_IsFalse(string? id) => Assert.False(SwarmIds.IsValid(id));
}

public class Base36Tests
{
    [Fact]
    public void Encode_KnownValues_MatchGoBigIntText()
    {
        Assert.Equal("0", Base36.Encode(BigInteger.Zero));
        Assert.Equal("z", Base36.Encode(35));
        Assert.Equal("10", Base36.Encode(36));
        Assert.Equal("000", Base36.Encode(BigInteger.Zero, 3));
        Assert.Equal("00010", Base36.Encode(36, 5));
        Assert.Equal("f5lxx1zz5pnorynqglhzmsp33", Base36.Encode((BigInteger.One << 128) - 1));
    }

    [Fact]
    public void Encode_MaxValues_FitTheSwarmWidths()
    {
        Assert.Equal(25, Base36.Encode((BigInteger.One << 128) - 1).Length);
        Assert.Equal(50, Base36.Encode((BigInteger.One << 256) - 1).Length);
    }

    [Fact]
    public void Encode_Negative_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Base36.Encode(BigInteger.MinusOne));

    [Fact]
    public void EncodeDecode_AnyBigInteger_RoundTrips()
    {
        Gen.Byte.Array[0, 80].Sample(bytes =>
        {
            var value = new BigInteger(bytes, isUnsigned: true, isBigEndian: true);
            var text = Base36.Encode(value);
            Assert.Matches("^[0-9a-z]+$", text);
            Assert.Equal(value, Base36.Decode(text));
        });
    }

    [Fact]
    public void Encode_AnyULong_MatchesNaiveOracle()
    {
        Gen.ULong.Sample(value =>
        {
            var oracle = string.Empty;
            var rest = value;
            do
            {
                oracle = "0123456789abcdefghijklmnopqrstuvwxyz"[(int)(rest % 36)] + oracle;
                rest /= 36;
            }
            while (rest != 0);
            Assert.Equal(oracle, Base36.Encode(value));
        });
    }

    [Fact]
    public void EncodeDecodeToBytes_Any16Bytes_RoundTripsAt25Chars()
    {
        Gen.Byte.Array[16].Sample(bytes =>
        {
            var text = Base36.Encode(bytes, 25);
            Assert.Equal(25, text.Length);
            Assert.Equal(bytes, Base36.DecodeToBytes(text, 16));
        });
    }

    [Fact]
    public void EncodeDecodeToBytes_Any32Bytes_RoundTripsAt50Chars()
    {
        Gen.Byte.Array[32].Sample(bytes =>
        {
            var text = Base36.Encode(bytes, 50);
            Assert.Equal(50, text.Length);
            Assert.Equal(bytes, Base36.DecodeToBytes(text, 32));
        });
    }

    [Theory]
    [InlineData("")]
    [InlineData("A")]
    [InlineData("12-3")]
    [InlineData(" 1")]
    public void Decode_NotLowercaseBase36_ThrowsFormatException(string text) =>
        Assert.Throws<FormatException>(() => Base36.Decode(text));

    [Fact]
    public void DecodeToBytes_TooLarge_ThrowsFormatException() =>
        Assert.Throws<FormatException>(() => Base36.DecodeToBytes("zzzzzzzzzzzzzzzzzzzzzzzzz", 16));
}
