using Skiff.Api;

namespace Skiff.Runtime.Containers;

/// <summary>
/// Resolves Docker's <c>--user</c> forms (<c>name</c>, <c>uid</c>, <c>name:group</c>, <c>uid:gid</c>) against the
/// container's own /etc/passwd and /etc/group, as Docker does (the host's files are never consulted).
/// </summary>
public static class UserResolver
{
    public static OciSpec.ProcessUser Resolve(string? user, string rootfs)
    {
        if (string.IsNullOrEmpty(user))
        {
            user = "0";
        }

        var parts = user.Split(':', 2);
        var passwd = ReadDb(System.IO.Path.Combine(rootfs, "etc/passwd"));
        var groups = ReadDb(System.IO.Path.Combine(rootfs, "etc/group"));

        uint uid;
        uint gid = 0;
        string? userName = null;
        if (uint.TryParse(parts[0], out uid))
        {
            var entry = passwd.FirstOrDefault(p => p.Length > 3 && p[2] == parts[0]);
            if (entry is not null)
            {
                userName = entry[0];
                _ = uint.TryParse(entry[3], out gid);
            }
        }
        else
        {
            var entry = passwd.FirstOrDefault(p => p.Length > 3 && p[0] == parts[0])
                ?? throw new BadRequestException($"unable to find user {parts[0]}: no matching entries in passwd file");
            userName = entry[0];
            uid = uint.Parse(entry[2]);
            gid = uint.Parse(entry[3]);
        }

        if (parts.Length == 2)
        {
            if (!uint.TryParse(parts[1], out gid))
            {
                var g = groups.FirstOrDefault(x => x.Length > 2 && x[0] == parts[1])
                    ?? throw new BadRequestException($"unable to find group {parts[1]}: no matching entries in group file");
                gid = uint.Parse(g[2]);
            }
        }

        var extra = new List<uint>();
        if (userName is not null)
        {
            foreach (var g in groups)
            {
                if (g.Length > 3 && g[3].Split(',').Contains(userName) && uint.TryParse(g[2], out var id) && id != gid)
                {
                    extra.Add(id);
                }
            }
        }

        return new OciSpec.ProcessUser(uid, gid, extra);
    }

    private static List<string[]> ReadDb(string path)
    {
        if (!File.Exists(path))
        {
            return [];
        }

        return File.ReadAllLines(path)
            .Where(l => l.Length > 0 && l[0] != '#')
            .Select(l => l.Split(':'))
            .ToList();
    }
}
