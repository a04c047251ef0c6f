/*
 * ai_platform.h - TEST FIXTURE, written for mcusim's tests.
 *
 * Declares the public "ai_platform" API of ST Edge AI generated code (type and macro names as
 * a real package uses them) so that mcusim's ST importer can be tested without ST's runtime,
 * which may not be redistributed. The encoding of formats and the structures are our own; the
 * importer and its adapter only use the names.
 */
#ifndef AI_PLATFORM_H
#define AI_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AI_PLATFORM_API_MAJOR (1)
#define AI_PLATFORM_API_MINOR (2)
#define AI_PLATFORM_API_MICRO (0)

#define AI_VERSION(major_, minor_, micro_) (((major_) << 24) | ((minor_) << 16) | ((micro_) << 8))

#define AI_API_ENTRY
#define AI_ALIGNED(x) __attribute__((aligned(x)))
#define AI_HANDLE_PTR(ptr_) ((ai_handle)(ptr_))
#define AI_HANDLE_NULL AI_HANDLE_PTR(NULL)

typedef void *ai_handle;
typedef float ai_float;
typedef bool ai_bool;
typedef uint8_t ai_u8;
typedef uint16_t ai_u16;
typedef uint32_t ai_u32;
typedef int8_t ai_i8;
typedef int16_t ai_i16;
typedef int32_t ai_i32;
typedef uint32_t ai_size;
typedef int32_t ai_buffer_format;

/* Formats: type in bits 17..20, sign in bit 23, bit width in bits 7..13. */
#define AI_FIXTURE_FMT(type_, sign_, bits_) (((type_) << 17) | ((sign_) << 23) | ((bits_) << 7))
#define AI_BUFFER_FMT_TYPE_FLOAT (0x1)
#define AI_BUFFER_FMT_TYPE_Q (0x2)
#define AI_BUFFER_FMT_GET_BITS(fmt_) ((((ai_buffer_format)(fmt_)) >> 7) & 0x7F)
enum {
    AI_BUFFER_FORMAT_NONE = 0,
    AI_BUFFER_FORMAT_FLOAT = AI_FIXTURE_FMT(AI_BUFFER_FMT_TYPE_FLOAT, 1, 32),
    AI_BUFFER_FORMAT_U8 = AI_FIXTURE_FMT(AI_BUFFER_FMT_TYPE_Q, 0, 8),
    AI_BUFFER_FORMAT_S8 = AI_FIXTURE_FMT(AI_BUFFER_FMT_TYPE_Q, 1, 8),
};
#define AI_BUFFER_FORMAT(buf_) ((buf_)->format & 0x01FFFFFF)

typedef enum { AI_ERROR_NONE = 0x00, AI_ERROR_INIT_FAILED = 0x30, AI_ERROR_INVALID_INPUT = 0x12 } ai_error_type;
typedef struct { ai_u32 type : 8; ai_u32 code : 24; } ai_error;

typedef struct { ai_u8 type; ai_u8 size; ai_u32 *data; } ai_buffer_shape;
typedef struct { const ai_float *scale; const void *zeropoint; } ai_intq_info;
typedef struct { ai_u16 flags; ai_u16 size; const ai_intq_info *info; } ai_intq_info_list;

#define AI_BUFFER_META_HAS_INTQ_INFO (0x1U << 0)
#define AI_BUFFER_META_FLAG_ZEROPOINT_U8 (0x1U << 1)
#define AI_BUFFER_META_FLAG_ZEROPOINT_S8 (0x1U << 2)
typedef struct { ai_u32 flags; const ai_intq_info_list *intq_info; } ai_buffer_meta_info;

typedef struct ai_buffer_ {
    ai_buffer_format format;
    ai_handle data;
    ai_buffer_meta_info *meta_info;
    ai_u32 flags;
    ai_size size;
    ai_buffer_shape shape;
} ai_buffer;

#define AI_BUFFER_META_INFO_INTQ(meta_) \
    (((meta_) && ((meta_)->flags & AI_BUFFER_META_HAS_INTQ_INFO)) ? (meta_)->intq_info : NULL)
#define AI_BUFFER_META_INFO_INTQ_GET_SCALE(meta_, pos_) \
    (AI_BUFFER_META_INFO_INTQ(meta_) ? AI_BUFFER_META_INFO_INTQ(meta_)->info->scale[(pos_)] : 0.0f)
#define AI_BUFFER_META_INFO_INTQ_GET_ZEROPOINT(meta_, pos_)                                   \
    (AI_BUFFER_META_INFO_INTQ(meta_)                                                        \
         ? ((AI_BUFFER_META_INFO_INTQ(meta_)->flags & AI_BUFFER_META_FLAG_ZEROPOINT_U8)      \
                ? (ai_i32)((const ai_u8 *)AI_BUFFER_META_INFO_INTQ(meta_)->info->zeropoint)[(pos_)] \
                : (ai_i32)((const ai_i8 *)AI_BUFFER_META_INFO_INTQ(meta_)->info->zeropoint)[(pos_)]) \
         : 0)

ai_size ai_buffer_get_size(const ai_buffer *buffer, const ai_bool with_padding);
ai_size ai_buffer_get_byte_size(const ai_size count, const ai_buffer_format fmt);
#define AI_BUFFER_SIZE(buf_) ai_buffer_get_size(buf_, true)
#define AI_BUFFER_BYTE_SIZE(count_, fmt_) ai_buffer_get_byte_size(count_, fmt_)

#endif /* AI_PLATFORM_H */
