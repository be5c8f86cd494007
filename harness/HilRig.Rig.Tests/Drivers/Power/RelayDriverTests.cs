using HilRig.Rig.Drivers.Power;
using HilRig.Rig.Drivers.Power.Relays;
using HilRig.Rig.Drivers.Serial;
using HilRig.Testing;
using NUnit.Framework;

namespace HilRig.Rig.Tests.Drivers.Power;

/// <summary>
/// The relay drivers over System.IO.Ports against the simulated relay boards on ptys: switching, read-back, and what a
/// relay that answers wrongly or not at all is reported as.
/// </summary>
[NonParallelizable]
public class RelayDriverTests
{
    private static (BenchSimulator Bench, IPowerSwitch Switch) Start(string protocol, params string[] faults)
    {
        var bench = BenchSimulator.Start(RepoPaths.NewTempDirectory("relay"), faults.SelectMany(f => new[] { "--fault", f }).ToArray());
        var port = SerialLine.Open(new SerialSettings { Path = protocol == "lcus" ? bench.LcusRelay : bench.ModbusRelay, Baud = 9600 });
        var transport = new SerialTransport(port, TimeSpan.FromMilliseconds(500));
        IPowerSwitch relay = protocol == "lcus" ? new LcusRelay(transport, 1, verify: true) : new ModbusRtuRelay(transport, 1, 0, verify: true);
        return (bench, relay);
    }

    [TestCase("lcus")]
    [TestCase("modbus-rtu")]
    public async Task Relay_SwitchesTheBenchSupply_AndReadsItBack(string protocol)
    {
        var (bench, relay) = Start(protocol);
        using (bench)
        await using (relay)
        {
            await relay.SetAsync(true);
            await Eventually.TrueAsync(() => bench.Powered, TimeSpan.FromSeconds(10), "the bench's supply is on");
            Assert.That(await relay.ReadAsync(), Is.True);
            await relay.SetAsync(false);
            await Eventually.TrueAsync(() => !bench.Powered, TimeSpan.FromSeconds(10), "the bench's supply is off");
            Assert.That(await relay.ReadAsync(), Is.False);
        }
    }

    [TestCase("lcus", "did not answer the status query (FF) within 0.5 s")]
    [TestCase("modbus-rtu", "no answer to function 05 within 0.5 s")]
    public void SilentRelay_IsReportedAsNoAnswer(string protocol, string expected)
    {
        var (bench, relay) = Start(protocol, "relay-silent");
        using (bench)
        {
            var e = Assert.ThrowsAsync<PowerSwitchException>(() => relay.SetAsync(true))!;
            Assert.That(e.Message, Does.Contain(expected).And.Contain(protocol == "lcus" ? "relay_power (lcus," : "relay_power (modbus-rtu,"));
            relay.DisposeAsync().AsTask().Wait();
        }
    }

    [Test]
    public void ModbusException_IsReportedWithItsCode()
    {
        var (bench, relay) = Start("modbus-rtu", "modbus-exception");
        using (bench)
        {
            var e = Assert.ThrowsAsync<PowerSwitchException>(() => relay.SetAsync(true))!;
            Assert.That(e.Message, Does.Contain("exception response to function 05: code 04 (server device failure)"));
            Assert.That(e.InnerException, Is.TypeOf<ModbusExceptionResponse>());
            relay.DisposeAsync().AsTask().Wait();
        }
    }

    [Test]
    public void ModbusCrcError_IsReportedWithTheFrame()
    {
        var (bench, relay) = Start("modbus-rtu", "modbus-crc");
        using (bench)
        {
            var e = Assert.ThrowsAsync<PowerSwitchException>(() => relay.SetAsync(true))!;
            Assert.That(e.Message, Does.Contain("CRC error in the answer to function 05: 01 05 00 00 ff 00"));
            relay.DisposeAsync().AsTask().Wait();
        }
    }

    [Test]
    public void LcusAnsweringNoise_IsReportedWithWhatItSaid()
    {
        var (bench, relay) = Start("lcus", "lcus-garbage");
        using (bench)
        {
            var e = Assert.ThrowsAsync<PowerSwitchException>(() => relay.SetAsync(true))!;
            Assert.That(e.Message, Does.Contain("answered the status query with 13 37 c4 0f, not CH1:ON|OFF"));
            relay.DisposeAsync().AsTask().Wait();
        }
    }
}
