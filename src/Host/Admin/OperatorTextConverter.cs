using System.Text.Json;
using System.Text.Json.Serialization;
using AkkaRaft.Actors.Regions;
using AkkaRaft.Core.Regions;

namespace AkkaRaft.Host.Admin;

/// <summary>
/// Writes operator kinds, steps and states and store states as their readable lower-case names ("catch up", "done",
/// "up") in the admin JSON, and reads them back.
/// </summary>
internal sealed class OperatorTextConverter : JsonConverterFactory
{
    /// <inheritdoc />
    public override bool CanConvert(Type typeToConvert) =>
        typeToConvert == typeof(OperatorKind) || typeToConvert == typeof(OperatorStep) || typeToConvert == typeof(OperatorState) || typeToConvert == typeof(StoreState);

    /// <inheritdoc />
    public override JsonConverter? CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        typeToConvert == typeof(OperatorKind) ? new Named<OperatorKind>(k => k.Text())
        : typeToConvert == typeof(OperatorStep) ? new Named<OperatorStep>(s => s.Text())
        : typeToConvert == typeof(OperatorState) ? new Named<OperatorState>(s => s.Text())
        : typeToConvert == typeof(StoreState) ? new Named<StoreState>(s => s.Text())
        : null;

    private sealed class Named<T>(Func<T, string> text) : JsonConverter<T>
        where T : struct, Enum
    {
        public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            var name = reader.GetString();
            foreach (var value in Enum.GetValues<T>())
                if (text(value) == name) return value;
            throw new JsonException($"'{name}' is not a {typeof(T).Name}");
        }

        public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) => writer.WriteStringValue(text(value));
    }
}
