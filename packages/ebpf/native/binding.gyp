{
  # Built by scripts/ensure-ebpf.mjs with `node-gyp rebuild --directory packages/ebpf/native`
  # (kept out of the package root so `npm ci` never tries to compile it before libbpf-dev exists).
  "targets": [
    {
      "target_name": "keelson_ebpf",
      "sources": [
        "src/addon.cc",
        "src/common.cc",
        "src/errors.cc",
        "src/object.cc",
        "src/link.cc",
        "src/attach.cc",
        "src/map_ops.cc",
        "src/program_ops.cc",
        "src/event_reader.cc",
        "src/netns.cc",
        "src/system.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-missing-field-initializers"],
      "libraries": ["<!@(pkg-config --libs libbpf)"],
      "cflags": ["<!@(pkg-config --cflags libbpf)"]
    }
  ]
}
