// The SDK as shipped (@solo-io/proxy-runtime 0.1.8), used the way its README shows: a root
// context registered under "tokenlimit". Built only to show, under an Envoy-faithful host,
// why the filter does not use the SDK's dispatch and wrappers (test/host/sdk_defects.test.ts).
export * from "@solo-io/proxy-runtime/assembly/proxy";
import { RootContext, Context, registerRootContext } from "@solo-io/proxy-runtime/assembly";

class SdkRoot extends RootContext {
  createContext(context_id: u32): Context {
    return new Context(context_id, this);
  }
}

registerRootContext((context_id: u32): RootContext => new SdkRoot(context_id), "tokenlimit");
