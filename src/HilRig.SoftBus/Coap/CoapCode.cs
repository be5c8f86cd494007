namespace HilRig.SoftBus.Coap;

/// <summary>
/// A method or response code (RFC 7252 §3, §12.1): class in the top 3 bits, detail in the low 5, printed "c.dd".
/// </summary>
public readonly record struct CoapCode(byte Value)
{
    public static readonly CoapCode Empty = new(0);
    public static readonly CoapCode Get = new(1);
    public static readonly CoapCode Post = new(2);
    public static readonly CoapCode Put = new(3);
    public static readonly CoapCode Delete = new(4);
    public static readonly CoapCode Created = Make(2, 1);
    public static readonly CoapCode Deleted = Make(2, 2);
    public static readonly CoapCode Valid = Make(2, 3);
    public static readonly CoapCode Changed = Make(2, 4);
    public static readonly CoapCode Content = Make(2, 5);
    public static readonly CoapCode Continue = Make(2, 31);
    public static readonly CoapCode BadRequest = Make(4, 0);
    public static readonly CoapCode BadOption = Make(4, 2);
    public static readonly CoapCode NotFound = Make(4, 4);
    public static readonly CoapCode MethodNotAllowed = Make(4, 5);
    public static readonly CoapCode RequestEntityIncomplete = Make(4, 8);
    public static readonly CoapCode RequestEntityTooLarge = Make(4, 13);
    public static readonly CoapCode InternalServerError = Make(5, 0);
    public static readonly CoapCode ServiceUnavailable = Make(5, 3);

    public static CoapCode Make(int codeClass, int detail) => new((byte)(codeClass << 5 | detail));

    public int Class => Value >> 5;

    public int Detail => Value & 0x1F;

    public bool IsEmpty => Value == 0;

    public bool IsRequest => Class == 0 && Value != 0;

    public bool IsResponse => Class is >= 2 and <= 5;

    public bool IsSuccess => Class == 2;

    public override string ToString() => Value switch
    {
        1 => "GET",
        2 => "POST",
        3 => "PUT",
        4 => "DELETE",
        _ => $"{Class}.{Detail:00}",
    };
}
