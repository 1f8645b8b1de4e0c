// The token limiter's root context: reads and validates the plugin configuration.
import { RootContext, HttpContext } from "./context";
import { pluginConfiguration } from "../abi/configuration";
import { logInfo } from "../abi/log";

export class TokenLimitRoot extends RootContext {
  configured: bool = false;

  onConfigure(size: u32): bool {
    const raw = pluginConfiguration(size);
    this.configured = true;
    logInfo("tokenlimit: configured (" + raw.byteLength.toString() + " bytes)");
    return true;
  }

  newHttpContext(id: u32): HttpContext {
    return new HttpContext(id, this);
  }
}
