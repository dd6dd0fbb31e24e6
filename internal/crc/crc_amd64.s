//go:build amd64 && !purego

#include "textflag.h"

// FOLD multiplies the two halves of chunk X by the constants in K (low
// half by K's low quadword, high half by its high quadword) and XORs the
// two products into X. T is scratch.
#define FOLD(X, K, T) \
	MOVO      X, T; \
	PCLMULQDQ $0x00, K, X; \
	PCLMULQDQ $0x11, K, T; \
	PXOR      T, X

// func foldCLMUL(crc uint64, p []byte, k *[4]uint64) (lo, hi uint64)
TEXT ·foldCLMUL(SB), NOSPLIT, $0-56
	MOVQ crc+0(FP), AX
	MOVQ p_base+8(FP), SI
	MOVQ p_len+16(FP), CX
	MOVQ k+32(FP), DX

	MOVOU 0(SI), X0
	MOVOU 16(SI), X1
	MOVOU 32(SI), X2
	MOVOU 48(SI), X3
	MOVQ  AX, X4
	PXOR  X4, X0
	MOVOU 0(DX), X5  // d = 512
	MOVOU 16(DX), X6 // d = 128
	ADDQ  $64, SI
	SUBQ  $64, CX

loop:
	CMPQ CX, $64
	JB   tail
	FOLD(X0, X5, X7)
	MOVOU 0(SI), X8
	PXOR  X8, X0
	FOLD(X1, X5, X7)
	MOVOU 16(SI), X8
	PXOR  X8, X1
	FOLD(X2, X5, X7)
	MOVOU 32(SI), X8
	PXOR  X8, X2
	FOLD(X3, X5, X7)
	MOVOU 48(SI), X8
	PXOR  X8, X3
	ADDQ  $64, SI
	SUBQ  $64, CX
	JMP   loop

tail:
	FOLD(X0, X6, X7)
	PXOR X0, X1
	FOLD(X1, X6, X7)
	PXOR X1, X2
	FOLD(X2, X6, X7)
	PXOR X2, X3

	MOVQ   X3, AX
	PSHUFD $0x4e, X3, X4
	MOVQ   X4, BX
	MOVQ   AX, lo+40(FP)
	MOVQ   BX, hi+48(FP)
	RET
