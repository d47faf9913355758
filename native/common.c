/* Errors with errno codes, and reading arguments (numbers, strings, Buffers, BPF programs) from JS. */
#include "lodestone_native.h"

/* ---------------------------------------------------------------------------------------------- */
/* Errors                                                                                          */

const char *errno_name(int err) {
  switch (err) {
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case EINTR: return "EINTR";
    case EIO: return "EIO";
    case ENXIO: return "ENXIO";
    case EBADF: return "EBADF";
    case EAGAIN: return "EAGAIN";
    case ENOMEM: return "ENOMEM";
    case EACCES: return "EACCES";
    case EFAULT: return "EFAULT";
    case EBUSY: return "EBUSY";
    case EEXIST: return "EEXIST";
    case ENODEV: return "ENODEV";
    case EINVAL: return "EINVAL";
    case EMFILE: return "EMFILE";
    case ENFILE: return "ENFILE";
    case ENOSPC: return "ENOSPC";
    case ENOTSOCK: return "ENOTSOCK";
    case EMSGSIZE: return "EMSGSIZE";
    case EPROTOTYPE: return "EPROTOTYPE";
    case ENOPROTOOPT: return "ENOPROTOOPT";
    case EPROTONOSUPPORT: return "EPROTONOSUPPORT";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    case EADDRINUSE: return "EADDRINUSE";
    case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
    case ENETDOWN: return "ENETDOWN";
    case ENETUNREACH: return "ENETUNREACH";
    case ENOBUFS: return "ENOBUFS";
    case EISCONN: return "EISCONN";
    case ENOTCONN: return "ENOTCONN";
    case ETIMEDOUT: return "ETIMEDOUT";
    case ECONNREFUSED: return "ECONNREFUSED";
    case EHOSTUNREACH: return "EHOSTUNREACH";
    default: return "EUNKNOWN";
  }
}

/* Throws Error(`<call> <subject>: <strerror> (<ERRNO>)`) with .code and .errno set. */
void throw_errno(napi_env env, int err, const char *call, const char *subject) {
  char msg[256];
  const char *name = errno_name(err);
  if (subject != NULL && subject[0] != '\0') {
    snprintf(msg, sizeof msg, "%s %s: %s (%s)", call, subject, strerror(err), name);
  } else {
    snprintf(msg, sizeof msg, "%s: %s (%s)", call, strerror(err), name);
  }
  napi_value code, message, error, errnum;
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message);
  napi_create_error(env, code, message, &error);
  napi_create_int32(env, -err, &errnum);
  napi_set_named_property(env, error, "errno", errnum);
  napi_value syscall;
  napi_create_string_utf8(env, call, NAPI_AUTO_LENGTH, &syscall);
  napi_set_named_property(env, error, "syscall", syscall);
  napi_throw(env, error);
}

/* ---------------------------------------------------------------------------------------------- */
/* Argument helpers                                                                                */

bool get_int(napi_env env, napi_value v, int64_t *out) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number) return false;
  return napi_get_value_int64(env, v, out) == napi_ok;
}

bool get_string(napi_env env, napi_value v, char *buf, size_t size) {
  napi_valuetype t;
  size_t len = 0;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_string) return false;
  if (napi_get_value_string_utf8(env, v, buf, size, &len) != napi_ok) return false;
  return len < size - 1 || buf[size - 1] == '\0';
}

bool get_buffer(napi_env env, napi_value v, void **data, size_t *len) {
  bool is_buffer = false;
  if (napi_is_buffer(env, v, &is_buffer) != napi_ok || !is_buffer) return false;
  return napi_get_buffer_info(env, v, data, len) == napi_ok;
}

bool is_nullish(napi_env env, napi_value v) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok) return true;
  return t == napi_undefined || t == napi_null;
}

/* Reads an array of {code, jt, jf, k} into a malloc'd sock_filter array. Returns NULL and throws on a
 * malformed element; the kernel judges whether the program itself is valid (EINVAL). */
struct sock_filter *read_program(napi_env env, napi_value arr, uint32_t *count) {
  bool is_array = false;
  if (napi_is_array(env, arr, &is_array) != napi_ok || !is_array) {
    napi_throw_type_error(env, "EINVALIDARG", "BPF program must be an array of {code, jt, jf, k}");
    return NULL;
  }
  napi_get_array_length(env, arr, count);
  struct sock_filter *prog = calloc(*count == 0 ? 1 : *count, sizeof *prog);
  if (prog == NULL) {
    throw_errno(env, ENOMEM, "bpf", "program");
    return NULL;
  }
  for (uint32_t i = 0; i < *count; i++) {
    napi_value insn, code, jt, jf, k;
    int64_t vcode, vjt, vjf, vk;
    napi_get_element(env, arr, i, &insn);
    if (napi_get_named_property(env, insn, "code", &code) != napi_ok ||
        napi_get_named_property(env, insn, "jt", &jt) != napi_ok ||
        napi_get_named_property(env, insn, "jf", &jf) != napi_ok ||
        napi_get_named_property(env, insn, "k", &k) != napi_ok || !get_int(env, code, &vcode) ||
        !get_int(env, jt, &vjt) || !get_int(env, jf, &vjf) || !get_int(env, k, &vk) || vcode < 0 ||
        vcode > 0xffff || vjt < 0 || vjt > 0xff || vjf < 0 || vjf > 0xff || vk < -2147483648LL ||
        vk > 0xffffffffLL) {
      char msg[96];
      snprintf(msg, sizeof msg, "BPF instruction %u is not {code: u16, jt: u8, jf: u8, k: u32}", i);
      napi_throw_type_error(env, "EINVALIDARG", msg);
      free(prog);
      return NULL;
    }
    prog[i].code = (uint16_t)vcode;
    prog[i].jt = (uint8_t)vjt;
    prog[i].jf = (uint8_t)vjf;
    prog[i].k = (uint32_t)vk;
  }
  return prog;
}

int attach_filter(int fd, struct sock_filter *prog, uint32_t count) {
  struct sock_fprog fprog = {.len = (unsigned short)count, .filter = prog};
  if (count > 0xffff) return EINVAL;
  if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof fprog) < 0) return errno;
  return 0;
}

bool get_optional_int(napi_env env, napi_value obj, const char *name, int64_t *out, int64_t lo, int64_t hi) {
  napi_value v;
  *out = -1;
  if (napi_get_named_property(env, obj, name, &v) != napi_ok) return false;
  if (is_nullish(env, v)) return true;
  return get_int(env, v, out) && *out >= lo && *out <= hi;
}
