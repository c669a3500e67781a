import { dayType } from "../calendar/day-type.ts";
import { hourOfDay, localTime } from "../calendar/local-time.ts";
import type { LorawanEndDevice } from "../lorawan/end-device.ts";
import { type ThingsStackDevice, thingsStackUplink } from "../lorawan/things-stack-uplink.ts";
import { normal } from "../random.ts";
import { townWeather } from "../weather/town-weather.ts";
import type { SimulatedDevice } from "./device.ts";

const OUTDOOR_CO2 = 420;

/**
 * A classroom sensor (CO₂ traffic light) in a municipal school, on The Things
 * Stack: during lessons on workdays CO₂ climbs towards 1,500-2,000 ppm and
 * falls back in each break when the windows open; the room is heated to
 * about 21 °C in the cold months and follows the weather in summer.
 * Payload on port 2: temperature in 0.1 °C (int16), humidity in 0.5 % (uint8),
 * CO₂ in ppm (uint16), big-endian.
 */
export function environmentSensor(
  ids: ThingsStackDevice,
  radio: LorawanEndDevice,
  traits: () => number,
): SimulatedDevice {
  const pupils = 18 + Math.floor(traits() * 12);
  let co2 = OUTDOOR_CO2 + 30;
  let last: number | undefined;
  return {
    resolutionMs: 1000,
    next(at, random) {
      const local = localTime(at);
      const hour = hourOfDay(local);
      const t = at.getTime();
      const inLesson = dayType(local) === "workday" && hour >= 7.75 && hour < 15 && hour % 1 < 0.75;
      const windowsOpen = dayType(local) === "workday" && hour >= 7.75 && hour < 15 && hour % 1 >= 0.75;
      // ppm per hour that a class breathes into a closed room; the air change of the room pulls towards outdoors.
      const source = inLesson ? pupils * 45 : 0;
      const airChangePerHour = windowsOpen ? 6 : 0.4;
      const hours = last === undefined ? 0 : Math.min(24, (t - last) / 3_600_000);
      const steady = OUTDOOR_CO2 + source / airChangePerHour;
      co2 = steady + (co2 - steady) * Math.exp(-airChangePerHour * hours);
      last = t;

      const weather = townWeather(at);
      const heated = weather.dailyMeanTemperature < 15;
      const temperature =
        (heated ? 20.5 + (inLesson ? 1.2 : 0) : 0.5 * weather.temperature + 11 + (inLesson ? 1 : 0)) +
        0.2 * normal(random);
      const humidity = Math.min(70, Math.max(20, (heated ? 35 : 50) + (inLesson ? 8 : 0) + 2 * normal(random)));

      const decoded = {
        temperature: Math.round(temperature * 10) / 10,
        humidity: Math.round(humidity * 2) / 2,
        co2: Math.round(co2 + 15 * normal(random)),
      };
      const bytes = new Uint8Array(5);
      const view = new DataView(bytes.buffer);
      view.setInt16(0, Math.round(decoded.temperature * 10));
      view.setUint8(2, Math.round(decoded.humidity * 2));
      view.setUint16(3, decoded.co2);
      return thingsStackUplink(ids, radio.uplink(at, bytes.length, random), { fPort: 2, bytes, decoded }, at, random);
    },
  };
}
