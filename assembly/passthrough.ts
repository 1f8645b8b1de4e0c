// A filter that does nothing: every callback continues. Built with the same glue as the
// real filter, it is the baseline the benchmarks compare against.
export * from "./filter/exports";
