namespace AkkaRaft.Core.Kv.Redis;

/// <summary>Redis's exact error texts (server.c shared.* and the t_*.c files).</summary>
internal static class RedisErrors
{
    public static KvResult.ErrorResult WrongType { get; } = new("WRONGTYPE Operation against a key holding the wrong kind of value");

    public static KvResult.ErrorResult Syntax { get; } = new("ERR syntax error", IsArgumentError: true);

    public static KvResult.ErrorResult NotInteger { get; } = new("ERR value is not an integer or out of range", IsArgumentError: true);

    public static KvResult.ErrorResult NotFloat { get; } = new("ERR value is not a valid float", IsArgumentError: true);

    public static KvResult.ErrorResult MinMaxNotFloat { get; } = new("ERR min or max is not a float", IsArgumentError: true);

    public static KvResult.ErrorResult MinMaxNotLex { get; } = new("ERR min or max not valid string range item", IsArgumentError: true);

    public static KvResult.ErrorResult MustBePositive { get; } = new("ERR value is out of range, must be positive", IsArgumentError: true);

    public static KvResult.ErrorResult NoSuchKey { get; } = new("ERR no such key");

    public static KvResult.ErrorResult IndexOutOfRange { get; } = new("ERR index out of range");

    public static KvResult.ErrorResult Overflow { get; } = new("ERR increment or decrement would overflow");

    public static KvResult.ErrorResult NaNOrInfinity { get; } = new("ERR increment would produce NaN or Infinity");

    public static KvResult.ErrorResult HashValueNotInteger { get; } = new("ERR hash value is not an integer");

    public static KvResult.ErrorResult HashValueNotFloat { get; } = new("ERR hash value is not a float");

    public static KvResult.ErrorResult ScoreNaN { get; } = new("ERR resulting score is not a number (NaN)");

    public static KvResult.ErrorResult WrongArity(string name) => new($"ERR wrong number of arguments for '{name}' command", IsArgumentError: true);

    public static KvResult.ErrorResult Argument(string text) => new(text, IsArgumentError: true);
}
