using System.Security.Cryptography;

namespace Skiff.Runtime.Containers;

/// <summary>Docker-style "adjective_name" container names.</summary>
public static class NameGenerator
{
    private static readonly string[] Left =
    [
        "admiring", "agitated", "amazing", "angry", "awesome", "blissful", "bold", "brave", "busy", "charming",
        "clever", "cool", "compassionate", "competent", "confident", "cranky", "dazzling", "determined", "eager",
        "ecstatic", "elastic", "elegant", "epic", "exciting", "fervent", "festive", "flamboyant", "focused",
        "friendly", "frosty", "gallant", "gifted", "goofy", "gracious", "happy", "hardcore", "heuristic",
        "hopeful", "hungry", "infallible", "inspiring", "jolly", "jovial", "keen", "kind", "laughing", "loving",
        "lucid", "magical", "modest", "musing", "naughty", "nervous", "nice", "nifty", "nostalgic", "objective",
        "optimistic", "peaceful", "pedantic", "pensive", "practical", "priceless", "quirky", "quizzical",
        "relaxed", "reverent", "romantic", "sad", "serene", "sharp", "silly", "sleepy", "stoic", "strange",
        "stupefied", "suspicious", "sweet", "tender", "thirsty", "trusting", "upbeat", "vibrant", "vigilant",
        "vigorous", "wizardly", "wonderful", "xenodochial", "youthful", "zealous", "zen",
    ];

    private static readonly string[] Right =
    [
        "albattani", "allen", "almeida", "archimedes", "ardinghelli", "babbage", "banach", "bardeen", "bartik",
        "bassi", "bell", "benz", "bhabha", "black", "bohr", "booth", "borg", "bose", "boyd", "brahmagupta",
        "brattain", "brown", "carson", "cerf", "chandrasekhar", "chaplygin", "chatterjee", "clarke", "colden",
        "cori", "cray", "curie", "darwin", "davinci", "dijkstra", "dubinsky", "easley", "einstein", "elion",
        "engelbart", "euclid", "euler", "fermat", "fermi", "feynman", "franklin", "galileo", "gates", "goldberg",
        "goodall", "hamilton", "hawking", "heisenberg", "hermann", "hodgkin", "hopper", "hugle", "hypatia",
        "jackson", "jang", "jennings", "johnson", "joliot", "kalam", "keller", "kepler", "khorana", "kilby",
        "knuth", "lalande", "lamarr", "leakey", "leavitt", "lovelace", "lumiere", "mayer", "mccarthy",
        "mcclintock", "meitner", "mendel", "merkle", "minsky", "mirzakhani", "morse", "murdock", "napier",
        "newton", "nobel", "noether", "pascal", "pasteur", "perlman", "pike", "poincare", "ramanujan", "ritchie",
        "rosalind", "sammet", "shannon", "shockley", "sinoussi", "stallman", "swanson", "tesla", "thompson",
        "torvalds", "turing", "volhard", "wescoff", "wiles", "williams", "wilson", "wing", "wozniak", "wright",
        "yalow", "yonath",
    ];

    public static string Generate(Func<string, bool> taken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var name = $"{Left[RandomNumberGenerator.GetInt32(Left.Length)]}_{Right[RandomNumberGenerator.GetInt32(Right.Length)]}";
            if (attempt > 10)
            {
                name += RandomNumberGenerator.GetInt32(10);
            }

            if (!taken(name))
            {
                return name;
            }
        }
    }
}
