import { senmlPack } from "../formats/senml.ts";
import { normal } from "../random.ts";
import { stationPressure, townWeather } from "../weather/town-weather.ts";
import type { SimulatedDevice } from "./device.ts";

export interface WeatherStationSite {
  /** SenML base name, e.g. `urn:dev:mac:0024befffe804ff1:`. */
  readonly baseName: string;
  readonly altitude: number;
  /** °C warmer than the town (a paved square) or colder (the river meadows). */
  readonly warmth: number;
  /** Fraction of the open-field wind that reaches the anemometer. */
  readonly exposure: number;
}

/**
 * A municipal weather station speaking SenML (RFC 8428) over MQTT: temperature,
 * humidity, station pressure and wind speed in SenML's registered units
 * (Cel, %RH, Pa, m/s), gusty around the town's mean wind.
 */
export function weatherStation(site: WeatherStationSite): SimulatedDevice {
  return {
    resolutionMs: 1,
    next(at, random) {
      const weather = townWeather(at);
      const round = (value: number, decimals: number) => Math.round(value * 10 ** decimals) / 10 ** decimals;
      return senmlPack(site.baseName, at, [
        { name: "temperature", unit: "Cel", value: round(weather.temperature + site.warmth + 0.1 * normal(random), 1) },
        { name: "humidity", unit: "%RH", value: round(Math.min(100, weather.humidity + normal(random)), 1) },
        {
          name: "pressure",
          unit: "Pa",
          value: Math.round(stationPressure(weather.seaLevelPressure, site.altitude) * 100 + 4 * normal(random)),
        },
        {
          name: "windSpeed",
          unit: "m/s",
          value: round(Math.max(0, weather.windSpeed * site.exposure * (1 + 0.3 * normal(random))), 1),
        },
      ]);
    },
  };
}
