// Entry of build/tokenlimit.wasm: the ABI exports and the token limiter's root context.
export * from "./filter/exports";
import { setRootContextFactory } from "./filter/registry";
import { RootContext } from "./filter/context";
import { TokenLimitRoot } from "./filter/root";

setRootContextFactory((id: u32): RootContext => new TokenLimitRoot(id));
