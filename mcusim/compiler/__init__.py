"""The open compiler: ONNX -> IR (`ir`, `importer`) -> passes -> memory plan -> C (`codegen`),
with a numpy twin (`twin`) that executes the IR at every stage."""
