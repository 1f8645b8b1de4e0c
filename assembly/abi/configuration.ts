// Plugin and VM configuration. The SDK's `onConfigure` passed the configuration size
// where the pointer for the returned size belongs; this reads it correctly, and an
// empty configuration is simply an empty string.
import { getBufferBytes } from "./buffers";
import { BufferType } from "./status";

/** The plugin configuration as bytes (`size` is what `proxy_on_configure` received). */
export function pluginConfiguration(size: u32): ArrayBuffer {
  return getBufferBytes(BufferType.PluginConfiguration, 0, size);
}

