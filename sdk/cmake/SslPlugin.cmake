# ssl_add_plugin(NAME SOURCES a.cpp b.cpp plugin.cpp [ENTRY file.cpp] [LIBRARIES lib...])
#
# The entry file (default plugin.cpp) holds SSL_PLUGIN_DEFINE; a one-file plugin names its only
# source as the ENTRY: ssl_add_plugin(method_dcl SOURCES dcl.cpp ENTRY dcl.cpp).
#
# Builds one plugin from one folder:
#   ssl_NAME          the MODULE library the host loads (hidden visibility, --no-undefined,
#                     -z nodelete), written to SSL_PLUGIN_OUTPUT_DIR;
#   ssl_NAME_static   its static twin for unit tests: the same component objects plus plugin.cpp
#                     compiled with SSL_PLUGIN_STATIC_TWIN, whose entry point is then
#                     ssl_static_plugin_info_NAME() (declare it with SSL_PLUGIN_DECLARE_STATIC).
# and appends ssl_NAME to the global property SSL_PLUGIN_TARGETS.
# Works in-tree and out-of-tree (after find_package(ssl_sdk)).
function(ssl_add_plugin name)
  cmake_parse_arguments(ARG "" "ENTRY" "SOURCES;LIBRARIES" ${ARGN})
  if(NOT ARG_ENTRY)
    set(ARG_ENTRY plugin.cpp)
  endif()
  set(entry_sources ${ARG_SOURCES})
  list(FILTER entry_sources INCLUDE REGEX "(^|/)${ARG_ENTRY}$")
  set(component_sources ${ARG_SOURCES})
  list(FILTER component_sources EXCLUDE REGEX "(^|/)${ARG_ENTRY}$")
  if(NOT entry_sources)
    message(FATAL_ERROR "ssl_add_plugin(${name}): SOURCES must contain the entry file ${ARG_ENTRY} (SSL_PLUGIN_DEFINE)")
  endif()

  # The component objects, shared by the module and its static twin (an INTERFACE library
  # when the entry file is the only source).
  set(objects ssl_${name}_objects)
  if(component_sources)
    add_library(${objects} OBJECT ${component_sources})
    target_link_libraries(${objects} PUBLIC ssl::sdk ${ARG_LIBRARIES})
    set_target_properties(${objects} PROPERTIES CXX_VISIBILITY_PRESET hidden POSITION_INDEPENDENT_CODE ON)
    if(COMMAND ssl_use_pch)
      ssl_use_pch(${objects})
    endif()
  else()
    add_library(${objects} INTERFACE)
    target_link_libraries(${objects} INTERFACE ssl::sdk ${ARG_LIBRARIES})
  endif()

  add_library(ssl_${name} MODULE ${entry_sources})
  target_link_libraries(ssl_${name} PRIVATE ${objects} ssl::sdk ${ARG_LIBRARIES})
  set_target_properties(ssl_${name} PROPERTIES PREFIX "" OUTPUT_NAME ssl_${name}
                        CXX_VISIBILITY_PRESET hidden)
  if(DEFINED SSL_PLUGIN_OUTPUT_DIR)
    set_target_properties(ssl_${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${SSL_PLUGIN_OUTPUT_DIR})
  endif()
  target_link_options(ssl_${name} PRIVATE -Wl,-z,nodelete)
  if(NOT DEFINED SSL_LINK_NO_UNDEFINED OR SSL_LINK_NO_UNDEFINED)  # off only in clang sanitizer builds
    target_link_options(ssl_${name} PRIVATE -Wl,--no-undefined)
  endif()
  # Every plugin module of the project, for targets that need them all (ssl_runtime in-tree).
  set_property(GLOBAL APPEND PROPERTY SSL_PLUGIN_TARGETS ssl_${name})

  add_library(ssl_${name}_static STATIC ${entry_sources})
  target_compile_definitions(ssl_${name}_static PRIVATE SSL_PLUGIN_STATIC_TWIN)
  target_link_libraries(ssl_${name}_static PRIVATE ${objects})
  target_link_libraries(ssl_${name}_static PUBLIC ssl::sdk ${ARG_LIBRARIES})

  if(DEFINED SSL_PLUGIN_INSTALL_DIR)
    install(TARGETS ssl_${name} LIBRARY DESTINATION ${SSL_PLUGIN_INSTALL_DIR})
  endif()
endfunction()
