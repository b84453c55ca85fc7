// node:console for the Lambda bundles, through process.getBuiltinModule (lib/constructs/node-builtins.ts says why).
module.exports = process.getBuiltinModule('node:console');
