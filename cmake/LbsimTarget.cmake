# lbsim_setup_target(<target>): the project's standard, warnings and sanitizer flags, per target.
function(lbsim_setup_target target)
  target_compile_features(${target} PUBLIC cxx_std_20)
  set_target_properties(${target} PROPERTIES CXX_EXTENSIONS OFF)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
                         -Wno-sign-conversion -Wnon-virtual-dtor -Wold-style-cast
                         -Woverloaded-virtual -Wimplicit-fallthrough)
  # GCC 12 at -O2/-O3 reports false positives inside libstdc++ for -Wrestrict (std::string
  # concatenation, GCC bug 105329) and -Wmaybe-uninitialized (std::vector members of aggregates in
  # braced lists, bug 107138); they say nothing about our code. Debug builds keep both warnings.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE -Wno-restrict
                           $<$<NOT:$<CONFIG:Debug>>:-Wno-maybe-uninitialized>)
  endif()
  if(LBSIM_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(LBSIM_SANITIZE)
    target_compile_options(${target} PUBLIC -fsanitize=address,undefined -fno-omit-frame-pointer
                           -fno-sanitize-recover=undefined)
    target_link_options(${target} PUBLIC -fsanitize=address,undefined)
  endif()
endfunction()

# Link-time optimisation for the programs that are measured (lbsim, bench/): the model's
# components live in their own files and call each other on every request; LTO inlines across
# them. Library objects carry both LTO bytecode and machine code (-ffat-lto-objects), so the
# test executables link them as usual, without paying for an LTO link each.
if(LBSIM_LTO AND CMAKE_BUILD_TYPE STREQUAL "Release" AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  set(LBSIM_LTO_ACTIVE ON)
else()
  set(LBSIM_LTO_ACTIVE OFF)
endif()

# lbsim_link_lto(<target>): an executable linked with LTO when it is active.
function(lbsim_link_lto target)
  if(LBSIM_LTO_ACTIVE)
    target_link_options(${target} PRIVATE -flto=auto)
  endif()
endfunction()

# lbsim_module(<name> DEPS ...): a static library lbsim_<name> from sim/<name>/*.cpp,
# aliased lbsim::<name>. Sources are globbed so a new strategy is one new file pair.
function(lbsim_module name)
  cmake_parse_arguments(ARG "" "" "DEPS" ${ARGN})
  file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp ${CMAKE_CURRENT_SOURCE_DIR}/*/*.cpp)
  if(srcs)
    add_library(lbsim_${name} STATIC ${srcs})
    target_include_directories(lbsim_${name} PUBLIC ${PROJECT_SOURCE_DIR})
    target_link_libraries(lbsim_${name} PUBLIC ${ARG_DEPS})
    lbsim_setup_target(lbsim_${name})
    if(LBSIM_LTO_ACTIVE)
      target_compile_options(lbsim_${name} PRIVATE -flto=auto -ffat-lto-objects)
    endif()
  else()  # header-only module
    add_library(lbsim_${name} INTERFACE)
    target_include_directories(lbsim_${name} INTERFACE ${PROJECT_SOURCE_DIR})
    target_link_libraries(lbsim_${name} INTERFACE ${ARG_DEPS})
    target_compile_features(lbsim_${name} INTERFACE cxx_std_20)
  endif()
  add_library(lbsim::${name} ALIAS lbsim_${name})
endfunction()
