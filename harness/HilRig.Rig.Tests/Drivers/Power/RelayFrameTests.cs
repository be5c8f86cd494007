using HilRig.Rig.Drivers.Power.Relays;
using NUnit.Framework;

namespace HilRig.Rig.Tests.Drivers.Power;

/// <summary>The relay protocols' bytes, against the published examples.</summary>
public class RelayFrameTests
{
    [TestCase(1, true, new byte[] { 0xA0, 0x01, 0x01, 0xA2 })]
    [TestCase(1, false, new byte[] { 0xA0, 0x01, 0x00, 0xA1 })]
    [TestCase(2, true, new byte[] { 0xA0, 0x02, 0x01, 0xA3 })]
    public void Lcus_Frame_IsStartChannelStateSum(int channel, bool on, byte[] expected) =>
        Assert.That(LcusRelay.Frame(channel, on), Is.EqualTo(expected));

    [Test]
    public void Modbus_WriteCoilOn_IsTheSpecExampleWithCrc() =>
        // Unit 1, coil 0, FF00: the frame every Modbus relay manual prints, CRC 8C 3A.
        Assert.That(ModbusRtu.WriteCoil(1, 0, true), Is.EqualTo(new byte[] { 0x01, 0x05, 0x00, 0x00, 0xFF, 0x00, 0x8C, 0x3A }));

    [Test]
    public void Modbus_ReadOneCoil_HasCrcFdCa() =>
        Assert.That(ModbusRtu.ReadCoil(1, 0), Is.EqualTo(new byte[] { 0x01, 0x01, 0x00, 0x00, 0x00, 0x01, 0xFD, 0xCA }));

    [Test]
    public void Modbus_Crc_DetectsAFlippedBit()
    {
        var frame = ModbusRtu.WriteCoil(1, 0, false);
        Assert.That(ModbusRtu.CrcIsValid(frame));
        frame[4] ^= 0x10;
        Assert.That(ModbusRtu.CrcIsValid(frame), Is.False);
    }

    [TestCase((byte)0x02, "illegal data address")]
    [TestCase((byte)0x04, "server device failure")]
    public void Modbus_ExceptionCodes_HaveTheirSpecNames(byte code, string name) =>
        Assert.That(ModbusRtu.ExceptionName(code), Is.EqualTo(name));
}
