/** One airrohr measurement round. */
export interface AirrohrReading {
  readonly esp8266id: string;
  readonly softwareVersion: string;
  /** µg/m³, SDS011 channel P1 (PM10) and P2 (PM2.5). */
  readonly pm10: number;
  readonly pm2_5: number;
  /** BME280: °C, % and Pa. */
  readonly temperature: number;
  readonly humidity: number;
  readonly pressure: number;
  /** The firmware's own figures of the round: loop count, loop times in µs, interval in ms, Wi-Fi dBm. */
  readonly samples: number;
  readonly minMicro: number;
  readonly maxMicro: number;
  readonly interval: number;
  readonly signal: number;
}

/**
 * The JSON the airrohr firmware (sensor.community, formerly luftdaten.info)
 * sends to custom APIs: every value a string, PM and BME280 values with two
 * decimals, followed by the firmware's own statistics.
 */
export function sensorCommunity(reading: AirrohrReading): string {
  const value = (value_type: string, value: string) => ({ value_type, value });
  return JSON.stringify({
    esp8266id: reading.esp8266id,
    software_version: reading.softwareVersion,
    sensordatavalues: [
      value("SDS_P1", reading.pm10.toFixed(2)),
      value("SDS_P2", reading.pm2_5.toFixed(2)),
      value("BME280_temperature", reading.temperature.toFixed(2)),
      value("BME280_humidity", reading.humidity.toFixed(2)),
      value("BME280_pressure", reading.pressure.toFixed(2)),
      value("samples", String(Math.round(reading.samples))),
      value("min_micro", String(Math.round(reading.minMicro))),
      value("max_micro", String(Math.round(reading.maxMicro))),
      value("interval", String(Math.round(reading.interval))),
      value("signal", String(Math.round(reading.signal))),
    ],
  });
}
