namespace HilRig.Update.Bundles;

/// <summary>Why a bundle was refused. The CM reports it to the cloud; nothing of the bundle is installed.</summary>
public enum BundleRejection
{
    /// <summary>The metadata is not well-formed JSON (the message names line and byte).</summary>
    MalformedMetadata,
    /// <summary>Well-formed JSON that is not the metadata of seed 001 (the message names the field).</summary>
    InvalidMetadata,
    /// <summary>Signed by a key id the trust store does not hold.</summary>
    UnknownKey,
    /// <summary>Signed by a trusted key outside its validity period.</summary>
    ExpiredKey,
    /// <summary>The signature does not match the canonical metadata.</summary>
    BadSignature,
    /// <summary>An <c>imageVersion</c> the unit must not take: older than installed, or not the one offered.</summary>
    ReplayedImageVersion,
    /// <summary>A component id that no UM of the unit updates.</summary>
    UnknownComponent,
    /// <summary>The payload is not the size the metadata says.</summary>
    SizeMismatch,
    /// <summary>The payload ends before the size the metadata says.</summary>
    Truncated,
    /// <summary>The payload's SHA-256 differs from the metadata.</summary>
    Sha256Mismatch,
    /// <summary>The payload's SHA-512 differs from the metadata.</summary>
    Sha512Mismatch,
    /// <summary>No wrapped key for this unit, or an authentication tag failed.</summary>
    DecryptionFailed,
    /// <summary>No URL of a component could be downloaded.</summary>
    DownloadFailed,
    /// <summary>The update offer is not signed, not fresh, not for this unit or not an answer to the version it reported.</summary>
    InvalidOffer,
    /// <summary>A part of the bundle is larger than its reader accepts (the metadata, before it is read or parsed).</summary>
    TooLarge,
    /// <summary>The offer's direction (next/previous) does not match the offered version against the installed one.</summary>
    WrongDirection,
    /// <summary>A component carries an annotation only the CM may set (<c>hilrig.downgrade</c>).</summary>
    ForbiddenAnnotation,
}
