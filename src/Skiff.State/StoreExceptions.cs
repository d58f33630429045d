using Skiff.Api;

namespace Skiff.State;

/// <summary>An update carried a stale <see cref="ObjectMeta.Version"/> (Docker answers 500 with this text).</summary>
public sealed class SequenceException() : SkiffException(500, "update out of sequence");

/// <summary>A create or rename would give two objects of one kind the same name.</summary>
public sealed class NameConflictException(ObjectKind kind, string name)
    : SkiffException(409, $"name conflicts with an existing object: {KindName(kind)} {name} already exists")
{
    public ObjectKind ObjectKind { get; } = kind;

    public string Name { get; } = name;

    internal static string KindName(ObjectKind kind) => kind.ToString().ToLowerInvariant();
}

/// <summary>A create reused the id of an existing object.</summary>
public sealed class ObjectExistsException(ObjectKind kind, string id)
    : SkiffException(409, $"{NameConflictException.KindName(kind)} {id} already exists");

/// <summary>An update or delete named an object that is not in the store.</summary>
public sealed class ObjectNotFoundException(ObjectKind kind, string id)
    : SkiffException(404, $"{NameConflictException.KindName(kind)} {id} not found");
