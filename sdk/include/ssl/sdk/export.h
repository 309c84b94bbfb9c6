#pragma once
// Symbol visibility for libssl_sdk.so. Everything is built with -fvisibility=hidden;
// SDK entry points are exported explicitly.
#if defined(SSL_SDK_BUILDING)
#define SSL_SDK_API __attribute__((visibility("default")))
#else
#define SSL_SDK_API __attribute__((visibility("default")))
#endif
// Exported from plugin libraries (only the entry point).
#define SSL_PLUGIN_EXPORT __attribute__((visibility("default")))
