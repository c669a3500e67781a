import { describe, expect, it } from "vitest";
import { deviceFromTopic } from "./topic-device.ts";

describe("deviceFromTopic", () => {
  it.each([
    ["ttn-v3", "v3/stadtwerke-test@ttn/devices/eui-a84041000181c2f1/up", "eui-a84041000181c2f1"],
    ["chirpstack-v4", "application/0b9a7b3c/device/0101010101010101/event/up", "0101010101010101"],
    ["tasmota-sml", "tele/stromzaehler-keller/SENSOR", "stromzaehler-keller"],
    ["dsmr-p1", "dsmr/p1-0005/telegram", "p1-0005"],
    ["stadtfluss-json", "stadtfluss/musterstadt/traffic-0001/up", "traffic-0001"],
  ])("takes the device of a %s topic from its usual pattern", (format, topic, device) => {
    expect(deviceFromTopic(format, topic).device).toBe(device);
  });

  it("takes the tenant from a stadtfluss-json topic only, not from The Things Stack's tenant", () => {
    expect(deviceFromTopic("stadtfluss-json", "stadtfluss/musterstadt/meter-0001/up").tenant).toBe("musterstadt");
    expect(deviceFromTopic("ttn-v3", "v3/app@ttn/devices/dev-1/up").tenant).toBeUndefined();
  });

  it("takes the level before a message-kind level, else the last level, for other topics", () => {
    expect(deviceFromTopic("generic-json", "sensors/air-0001/data").device).toBe("air-0001");
    expect(deviceFromTopic("generic-json", "zigbee2mqtt/kitchen-sensor").device).toBe("kitchen-sensor");
    expect(deviceFromTopic("ttn-v3", "custom/gw-7/up").device).toBe("gw-7");
    expect(deviceFromTopic("dsmr-p1", "home/meter-9/telegram").device).toBe("meter-9");
  });
});
