package dev.slipway.registry.v1;

import static io.grpc.MethodDescriptor.generateFullMethodName;

/**
 * <pre>
 * The source of truth for models, their versions and artifacts, aliases with their history, and
 * change events. Every mutation is audited in the same transaction as the change.
 * </pre>
 */
@io.grpc.stub.annotations.GrpcGenerated
public final class RegistryServiceGrpc {

  private RegistryServiceGrpc() {}

  public static final java.lang.String SERVICE_NAME = "slipway.registry.v1.RegistryService";

  // Static method descriptors that strictly reflect the proto.
  private static volatile io.grpc.MethodDescriptor<dev.slipway.registry.v1.CreateModelRequest,
      dev.slipway.registry.v1.CreateModelResponse> getCreateModelMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "CreateModel",
      requestType = dev.slipway.registry.v1.CreateModelRequest.class,
      responseType = dev.slipway.registry.v1.CreateModelResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.slipway.registry.v1.CreateModelRequest,
      dev.slipway.registry.v1.CreateModelResponse> getCreateModelMethod() {
    io.grpc.MethodDescriptor<dev.slipway.registry.v1.CreateModelRequest, dev.slipway.registry.v1.CreateModelResponse> getCreateModelMethod;
    if ((getCreateModelMethod = RegistryServiceGrpc.getCreateModelMethod) == null) {
      synchronized (RegistryServiceGrpc.class) {
        if ((getCreateModelMethod = RegistryServiceGrpc.getCreateModelMethod) == null) {
          RegistryServiceGrpc.getCreateModelMethod = getCreateModelMethod =
              io.grpc.MethodDescriptor.<dev.slipway.registry.v1.CreateModelRequest, dev.slipway.registry.v1.CreateModelResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "CreateModel"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.registry.v1.CreateModelRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.registry.v1.CreateModelResponse.getDefaultInstance()))
              .setSchemaDescriptor(new RegistryServiceMethodDescriptorSupplier("CreateModel"))
              .build();
        }
      }
    }
    return getCreateModelMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.slipway.registry.v1.GetModelRequest,
      dev.slipway.registry.v1.GetModelResponse> getGetModelMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "GetModel",
      requestType = dev.slipway.registry.v1.GetModelRequest.class,
      responseType = dev.slipway.registry.v1.GetModelResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.slipway.registry.v1.GetModelRequest,
      dev.slipway.registry.v1.GetModelResponse> getGetModelMethod() {
    io.grpc.MethodDescriptor<dev.slipway.registry.v1.GetModelRequest, dev.slipway.registry.v1.GetModelResponse> getGetModelMethod;
    if ((getGetModelMethod = RegistryServiceGrpc.getGetModelMethod) == null) {
      synchronized (RegistryServiceGrpc.class) {
        if ((getGetModelMethod = RegistryServiceGrpc.getGetModelMethod) == null) {
          RegistryServiceGrpc.getGetModelMethod = getGetModelMethod =
              io.grpc.MethodDescriptor.<dev.slipway.registry.v1.GetModelRequest, dev.slipway.registry.v1.GetModelResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "GetModel"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.registry.v1.GetModelRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.registry.v1.GetModelResponse.getDefaultInstance()))
              .setSchemaDescriptor(new RegistryServiceMethodDescriptorSupplier("GetModel"))
              .build();
        }
      }
    }
    return getGetModelMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.slipway.registry.v1.ListModelsRequest,
      dev.slipway.registry.v1.ListModelsResponse> getListModelsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ListModels",
      requestType = dev.slipway.registry.v1.ListModelsRequest.class,
      responseType = dev.slipway.registry.v1.ListModelsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.slipway.registry.v1.ListModelsRequest,
      dev.slipway.registry.v1.ListModelsResponse> getListModelsMethod() {
    io.grpc.MethodDescriptor<dev.slipway.registry.v1.ListModelsRequest, dev.slipway.registry.v1.ListModelsResponse> getListModelsMethod;
    if ((getListModelsMethod = RegistryServiceGrpc.getListModelsMethod) == null) {
      synchronized (RegistryServiceGrpc.class) {
        if ((getListModelsMethod = RegistryServiceGrpc.getListModelsMethod) == null) {
          RegistryServiceGrpc.getListModelsMethod = getListModelsMethod =
              io.grpc.MethodDescriptor.<dev.slipway.registry.v1.ListModelsRequest, dev.slipway.registry.v1.ListModelsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ListModels"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.registry.v1.ListModelsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.registry.v1.ListModelsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new RegistryServiceMethodDescriptorSupplier("ListModels"))
              .build();
        }
      }
    }
    return getListModelsMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.slipway.registry.v1.UpdateModelRequest,
      dev.slipway.registry.v1.UpdateModelResponse> getUpdateModelMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "UpdateModel",
      requestType = dev.slipway.registry.v1.UpdateModelRequest.class,
      responseType = dev.slipway.registry.v1.UpdateModelResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.slipway.registry.v1.UpdateModelRequest,
      dev.slipway.registry.v1.UpdateModelResponse> getUpdateModelMethod() {
    io.grpc.MethodDescriptor<dev.slipway.registry.v1.UpdateModelRequest, dev.slipway.registry.v1.UpdateModelResponse> getUpdateModelMethod;
    if ((getUpdateModelMethod = RegistryServiceGrpc.getUpdateModelMethod) == null) {
      synchronized (RegistryServiceGrpc.class) {
        if ((getUpdateModelMethod = RegistryServiceGrpc.getUpdateModelMethod) == null) {
          RegistryServiceGrpc.getUpdateModelMethod = getUpdateModelMethod =
              io.grpc.MethodDescriptor.<dev.slipway.registry.v1.UpdateModelRequest, dev.slipway.registry.v1.UpdateModelResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "UpdateModel"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.registry.v1.UpdateModelRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.registry.v1.UpdateModelResponse.getDefaultInstance()))
              .setSchemaDescriptor(new RegistryServiceMethodDescriptorSupplier("UpdateModel"))
              .build();
        }
      }
    }
    return getUpdateModelMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.slipway.registry.v1.DeleteModelRequest,
      dev.slipway.registry.v1.DeleteModelResponse> getDeleteModelMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "DeleteModel",
      requestType = dev.slipway.registry.v1.DeleteModelRequest.class,
      responseType = dev.slipway.registry.v1.DeleteModelResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.slipway.registry.v1.DeleteModelRequest,
      dev.slipway.registry.v1.DeleteModelResponse> getDeleteModelMethod() {
    io.grpc.MethodDescriptor<dev.slipway.registry.v1.DeleteModelRequest, dev.slipway.registry.v1.DeleteModelResponse> getDeleteModelMethod;
    if ((getDeleteModelMethod = RegistryServiceGrpc.getDeleteModelMethod) == null) {
      synchronized (RegistryServiceGrpc.class) {
        if ((getDeleteModelMethod = RegistryServiceGrpc.getDeleteModelMethod) == null) {
          RegistryServiceGrpc.getDeleteModelMethod = getDeleteModelMethod =
              io.grpc.MethodDescriptor.<dev.slipway.registry.v1.DeleteModelRequest, dev.slipway.registry.v1.DeleteModelResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "DeleteModel"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.registry.v1.DeleteModelRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.registry.v1.DeleteModelResponse.getDefaultInstance()))
              .setSchemaDescriptor(new RegistryServiceMethodDescriptorSupplier("DeleteModel"))
              .build();
        }
      }
    }
    return getDeleteModelMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.slipway.registry.v1.CreateModelVersionRequest,
      dev.slipway.registry.v1.CreateModelVersionResponse> getCreateModelVersionMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "CreateModelVersion",
      requestType = dev.slipway.registry.v1.CreateModelVersionRequest.class,
      responseType = dev.slipway.registry.v1.CreateModelVersionResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.CLIENT_STREAMING)
  public static io.grpc.MethodDescriptor<dev.slipway.registry.v1.CreateModelVersionRequest,
      dev.slipway.registry.v1.CreateModelVersionResponse> getCreateModelVersionMethod() {
    io.grpc.MethodDescriptor<dev.slipway.registry.v1.CreateModelVersionRequest, dev.slipway.registry.v1.CreateModelVersionResponse> getCreateModelVersionMethod;
    if ((getCreateModelVersionMethod = RegistryServiceGrpc.getCreateModelVersionMethod) == null) {
      synchronized (RegistryServiceGrpc.class) {
        if ((getCreateModelVersionMethod = RegistryServiceGrpc.getCreateModelVersionMethod) == null) {
          RegistryServiceGrpc.getCreateModelVersionMethod = getCreateModelVersionMethod =
              io.grpc.MethodDescriptor.<dev.slipway.registry.v1.CreateModelVersionRequest, dev.slipway.registry.v1.CreateModelVersionResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.CLIENT_STREAMING)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "CreateModelVersion"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.registry.v1.CreateModelVersionRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.registry.v1.CreateModelVersionResponse.getDefaultInstance()))
              .setSchemaDescriptor(new RegistryServiceMethodDescriptorSupplier("CreateModelVersion"))
              .build();
        }
      }
    }
    return getCreateModelVersionMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.slipway.registry.v1.GetModelVersionRequest,
      dev.slipway.registry.v1.GetModelVersionResponse> getGetModelVersionMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "GetModelVersion",
      requestType = dev.slipway.registry.v1.GetModelVersionRequest.class,
      responseType = dev.slipway.registry.v1.GetModelVersionResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.slipway.registry.v1.GetModelVersionRequest,
      dev.slipway.registry.v1.GetModelVersionResponse> getGetModelVersionMethod() {
    io.grpc.MethodDescriptor<dev.slipway.registry.v1.GetModelVersionRequest, dev.slipway.registry.v1.GetModelVersionResponse> getGetModelVersionMethod;
    if ((getGetModelVersionMethod = RegistryServiceGrpc.getGetModelVersionMethod) == null) {
      synchronized (RegistryServiceGrpc.class) {
        if ((getGetModelVersionMethod = RegistryServiceGrpc.getGetModelVersionMethod) == null) {
          RegistryServiceGrpc.getGetModelVersionMethod = getGetModelVersionMethod =
              io.grpc.MethodDescriptor.<dev.slipway.registry.v1.GetModelVersionRequest, dev.slipway.registry.v1.GetModelVersionResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "GetModelVersion"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.registry.v1.GetModelVersionRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.registry.v1.GetModelVersionResponse.getDefaultInstance()))
              .setSchemaDescriptor(new RegistryServiceMethodDescriptorSupplier("GetModelVersion"))
              .build();
        }
      }
    }
    return getGetModelVersionMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.slipway.registry.v1.ListModelVersionsRequest,
      dev.slipway.registry.v1.ListModelVersionsResponse> getListModelVersionsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ListModelVersions",
      requestType = dev.slipway.registry.v1.ListModelVersionsRequest.class,
      responseType = dev.slipway.registry.v1.ListModelVersionsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.slipway.registry.v1.ListModelVersionsRequest,
      dev.slipway.registry.v1.ListModelVersionsResponse> getListModelVersionsMethod() {
    io.grpc.MethodDescriptor<dev.slipway.registry.v1.ListModelVersionsRequest, dev.slipway.registry.v1.ListModelVersionsResponse> getListModelVersionsMethod;
    if ((getListModelVersionsMethod = RegistryServiceGrpc.getListModelVersionsMethod) == null) {
      synchronized (RegistryServiceGrpc.class) {
        if ((getListModelVersionsMethod = RegistryServiceGrpc.getListModelVersionsMethod) == null) {
          RegistryServiceGrpc.getListModelVersionsMethod = getListModelVersionsMethod =
              io.grpc.MethodDescriptor.<dev.slipway.registry.v1.ListModelVersionsRequest, dev.slipway.registry.v1.ListModelVersionsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ListModelVersions"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.registry.v1.ListModelVersionsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.registry.v1.ListModelVersionsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new RegistryServiceMethodDescriptorSupplier("ListModelVersions"))
              .build();
        }
      }
    }
    return getListModelVersionsMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.slipway.registry.v1.UpdateModelVersionRequest,
      dev.slipway.registry.v1.UpdateModelVersionResponse> getUpdateModelVersionMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "UpdateModelVersion",
      requestType = dev.slipway.registry.v1.UpdateModelVersionRequest.class,
      responseType = dev.slipway.registry.v1.UpdateModelVersionResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.slipway.registry.v1.UpdateModelVersionRequest,
      dev.slipway.registry.v1.UpdateModelVersionResponse> getUpdateModelVersionMethod() {
    io.grpc.MethodDescriptor<dev.slipway.registry.v1.UpdateModelVersionRequest, dev.slipway.registry.v1.UpdateModelVersionResponse> getUpdateModelVersionMethod;
    if ((getUpdateModelVersionMethod = RegistryServiceGrpc.getUpdateModelVersionMethod) == null) {
      synchronized (RegistryServiceGrpc.class) {
        if ((getUpdateModelVersionMethod = RegistryServiceGrpc.getUpdateModelVersionMethod) == null) {
          RegistryServiceGrpc.getUpdateModelVersionMethod = getUpdateModelVersionMethod =
              io.grpc.MethodDescriptor.<dev.slipway.registry.v1.UpdateModelVersionRequest, dev.slipway.registry.v1.UpdateModelVersionResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "UpdateModelVersion"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.registry.v1.UpdateModelVersionRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.registry.v1.UpdateModelVersionResponse.getDefaultInstance()))
              .setSchemaDescriptor(new RegistryServiceMethodDescriptorSupplier("UpdateModelVersion"))
              .build();
        }
      }
    }
    return getUpdateModelVersionMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.slipway.registry.v1.ArchiveModelVersionRequest,
      dev.slipway.registry.v1.ArchiveModelVersionResponse> getArchiveModelVersionMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ArchiveModelVersion",
      requestType = dev.slipway.registry.v1.ArchiveModelVersionRequest.class,
      responseType = dev.slipway.registry.v1.ArchiveModelVersionResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.slipway.registry.v1.ArchiveModelVersionRequest,
      dev.slipway.registry.v1.ArchiveModelVersionResponse> getArchiveModelVersionMethod() {
    io.grpc.MethodDescriptor<dev.slipway.registry.v1.ArchiveModelVersionRequest, dev.slipway.registry.v1.ArchiveModelVersionResponse> getArchiveModelVersionMethod;
    if ((getArchiveModelVersionMethod = RegistryServiceGrpc.getArchiveModelVersionMethod) == null) {
      synchronized (RegistryServiceGrpc.class) {
        if ((getArchiveModelVersionMethod = RegistryServiceGrpc.getArchiveModelVersionMethod) == null) {
          RegistryServiceGrpc.getArchiveModelVersionMethod = getArchiveModelVersionMethod =
              io.grpc.MethodDescriptor.<dev.slipway.registry.v1.ArchiveModelVersionRequest, dev.slipway.registry.v1.ArchiveModelVersionResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ArchiveModelVersion"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.registry.v1.ArchiveModelVersionRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.registry.v1.ArchiveModelVersionResponse.getDefaultInstance()))
              .setSchemaDescriptor(new RegistryServiceMethodDescriptorSupplier("ArchiveModelVersion"))
              .build();
        }
      }
    }
    return getArchiveModelVersionMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.slipway.registry.v1.DownloadModelVersionRequest,
      dev.slipway.registry.v1.DownloadModelVersionResponse> getDownloadModelVersionMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "DownloadModelVersion",
      requestType = dev.slipway.registry.v1.DownloadModelVersionRequest.class,
      responseType = dev.slipway.registry.v1.DownloadModelVersionResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
  public static io.grpc.MethodDescriptor<dev.slipway.registry.v1.DownloadModelVersionRequest,
      dev.slipway.registry.v1.DownloadModelVersionResponse> getDownloadModelVersionMethod() {
    io.grpc.MethodDescriptor<dev.slipway.registry.v1.DownloadModelVersionRequest, dev.slipway.registry.v1.DownloadModelVersionResponse> getDownloadModelVersionMethod;
    if ((getDownloadModelVersionMethod = RegistryServiceGrpc.getDownloadModelVersionMethod) == null) {
      synchronized (RegistryServiceGrpc.class) {
        if ((getDownloadModelVersionMethod = RegistryServiceGrpc.getDownloadModelVersionMethod) == null) {
          RegistryServiceGrpc.getDownloadModelVersionMethod = getDownloadModelVersionMethod =
              io.grpc.MethodDescriptor.<dev.slipway.registry.v1.DownloadModelVersionRequest, dev.slipway.registry.v1.DownloadModelVersionResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "DownloadModelVersion"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.registry.v1.DownloadModelVersionRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.registry.v1.DownloadModelVersionResponse.getDefaultInstance()))
              .setSchemaDescriptor(new RegistryServiceMethodDescriptorSupplier("DownloadModelVersion"))
              .build();
        }
      }
    }
    return getDownloadModelVersionMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.slipway.registry.v1.SetModelAliasRequest,
      dev.slipway.registry.v1.SetModelAliasResponse> getSetModelAliasMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "SetModelAlias",
      requestType = dev.slipway.registry.v1.SetModelAliasRequest.class,
      responseType = dev.slipway.registry.v1.SetModelAliasResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.slipway.registry.v1.SetModelAliasRequest,
      dev.slipway.registry.v1.SetModelAliasResponse> getSetModelAliasMethod() {
    io.grpc.MethodDescriptor<dev.slipway.registry.v1.SetModelAliasRequest, dev.slipway.registry.v1.SetModelAliasResponse> getSetModelAliasMethod;
    if ((getSetModelAliasMethod = RegistryServiceGrpc.getSetModelAliasMethod) == null) {
      synchronized (RegistryServiceGrpc.class) {
        if ((getSetModelAliasMethod = RegistryServiceGrpc.getSetModelAliasMethod) == null) {
          RegistryServiceGrpc.getSetModelAliasMethod = getSetModelAliasMethod =
              io.grpc.MethodDescriptor.<dev.slipway.registry.v1.SetModelAliasRequest, dev.slipway.registry.v1.SetModelAliasResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "SetModelAlias"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.registry.v1.SetModelAliasRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.registry.v1.SetModelAliasResponse.getDefaultInstance()))
              .setSchemaDescriptor(new RegistryServiceMethodDescriptorSupplier("SetModelAlias"))
              .build();
        }
      }
    }
    return getSetModelAliasMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.slipway.registry.v1.DeleteModelAliasRequest,
      dev.slipway.registry.v1.DeleteModelAliasResponse> getDeleteModelAliasMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "DeleteModelAlias",
      requestType = dev.slipway.registry.v1.DeleteModelAliasRequest.class,
      responseType = dev.slipway.registry.v1.DeleteModelAliasResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.slipway.registry.v1.DeleteModelAliasRequest,
      dev.slipway.registry.v1.DeleteModelAliasResponse> getDeleteModelAliasMethod() {
    io.grpc.MethodDescriptor<dev.slipway.registry.v1.DeleteModelAliasRequest, dev.slipway.registry.v1.DeleteModelAliasResponse> getDeleteModelAliasMethod;
    if ((getDeleteModelAliasMethod = RegistryServiceGrpc.getDeleteModelAliasMethod) == null) {
      synchronized (RegistryServiceGrpc.class) {
        if ((getDeleteModelAliasMethod = RegistryServiceGrpc.getDeleteModelAliasMethod) == null) {
          RegistryServiceGrpc.getDeleteModelAliasMethod = getDeleteModelAliasMethod =
              io.grpc.MethodDescriptor.<dev.slipway.registry.v1.DeleteModelAliasRequest, dev.slipway.registry.v1.DeleteModelAliasResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "DeleteModelAlias"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.registry.v1.DeleteModelAliasRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.registry.v1.DeleteModelAliasResponse.getDefaultInstance()))
              .setSchemaDescriptor(new RegistryServiceMethodDescriptorSupplier("DeleteModelAlias"))
              .build();
        }
      }
    }
    return getDeleteModelAliasMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.slipway.registry.v1.ListAliasHistoryRequest,
      dev.slipway.registry.v1.ListAliasHistoryResponse> getListAliasHistoryMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ListAliasHistory",
      requestType = dev.slipway.registry.v1.ListAliasHistoryRequest.class,
      responseType = dev.slipway.registry.v1.ListAliasHistoryResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.slipway.registry.v1.ListAliasHistoryRequest,
      dev.slipway.registry.v1.ListAliasHistoryResponse> getListAliasHistoryMethod() {
    io.grpc.MethodDescriptor<dev.slipway.registry.v1.ListAliasHistoryRequest, dev.slipway.registry.v1.ListAliasHistoryResponse> getListAliasHistoryMethod;
    if ((getListAliasHistoryMethod = RegistryServiceGrpc.getListAliasHistoryMethod) == null) {
      synchronized (RegistryServiceGrpc.class) {
        if ((getListAliasHistoryMethod = RegistryServiceGrpc.getListAliasHistoryMethod) == null) {
          RegistryServiceGrpc.getListAliasHistoryMethod = getListAliasHistoryMethod =
              io.grpc.MethodDescriptor.<dev.slipway.registry.v1.ListAliasHistoryRequest, dev.slipway.registry.v1.ListAliasHistoryResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ListAliasHistory"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.registry.v1.ListAliasHistoryRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.registry.v1.ListAliasHistoryResponse.getDefaultInstance()))
              .setSchemaDescriptor(new RegistryServiceMethodDescriptorSupplier("ListAliasHistory"))
              .build();
        }
      }
    }
    return getListAliasHistoryMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.slipway.registry.v1.WatchModelEventsRequest,
      dev.slipway.registry.v1.WatchModelEventsResponse> getWatchModelEventsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "WatchModelEvents",
      requestType = dev.slipway.registry.v1.WatchModelEventsRequest.class,
      responseType = dev.slipway.registry.v1.WatchModelEventsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
  public static io.grpc.MethodDescriptor<dev.slipway.registry.v1.WatchModelEventsRequest,
      dev.slipway.registry.v1.WatchModelEventsResponse> getWatchModelEventsMethod() {
    io.grpc.MethodDescriptor<dev.slipway.registry.v1.WatchModelEventsRequest, dev.slipway.registry.v1.WatchModelEventsResponse> getWatchModelEventsMethod;
    if ((getWatchModelEventsMethod = RegistryServiceGrpc.getWatchModelEventsMethod) == null) {
      synchronized (RegistryServiceGrpc.class) {
        if ((getWatchModelEventsMethod = RegistryServiceGrpc.getWatchModelEventsMethod) == null) {
          RegistryServiceGrpc.getWatchModelEventsMethod = getWatchModelEventsMethod =
              io.grpc.MethodDescriptor.<dev.slipway.registry.v1.WatchModelEventsRequest, dev.slipway.registry.v1.WatchModelEventsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "WatchModelEvents"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.registry.v1.WatchModelEventsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.registry.v1.WatchModelEventsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new RegistryServiceMethodDescriptorSupplier("WatchModelEvents"))
              .build();
        }
      }
    }
    return getWatchModelEventsMethod;
  }

  /**
   * Creates a new async stub that supports all call types for the service
   */
  public static RegistryServiceStub newStub(io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<RegistryServiceStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<RegistryServiceStub>() {
        @java.lang.Override
        public RegistryServiceStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new RegistryServiceStub(channel, callOptions);
        }
      };
    return RegistryServiceStub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports all types of calls on the service
   */
  public static RegistryServiceBlockingV2Stub newBlockingV2Stub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<RegistryServiceBlockingV2Stub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<RegistryServiceBlockingV2Stub>() {
        @java.lang.Override
        public RegistryServiceBlockingV2Stub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new RegistryServiceBlockingV2Stub(channel, callOptions);
        }
      };
    return RegistryServiceBlockingV2Stub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports unary and streaming output calls on the service
   */
  public static RegistryServiceBlockingStub newBlockingStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<RegistryServiceBlockingStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<RegistryServiceBlockingStub>() {
        @java.lang.Override
        public RegistryServiceBlockingStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new RegistryServiceBlockingStub(channel, callOptions);
        }
      };
    return RegistryServiceBlockingStub.newStub(factory, channel);
  }

  /**
   * Creates a new ListenableFuture-style stub that supports unary calls on the service
   */
  public static RegistryServiceFutureStub newFutureStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<RegistryServiceFutureStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<RegistryServiceFutureStub>() {
        @java.lang.Override
        public RegistryServiceFutureStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new RegistryServiceFutureStub(channel, callOptions);
        }
      };
    return RegistryServiceFutureStub.newStub(factory, channel);
  }

  /**
   * <pre>
   * The source of truth for models, their versions and artifacts, aliases with their history, and
   * change events. Every mutation is audited in the same transaction as the change.
   * </pre>
   */
  public interface AsyncService {

    /**
     * <pre>
     * Creates a model.
     * </pre>
     */
    default void createModel(dev.slipway.registry.v1.CreateModelRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.registry.v1.CreateModelResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getCreateModelMethod(), responseObserver);
    }

    /**
     * <pre>
     * Returns one model.
     * </pre>
     */
    default void getModel(dev.slipway.registry.v1.GetModelRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.registry.v1.GetModelResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getGetModelMethod(), responseObserver);
    }

    /**
     * <pre>
     * Lists models, with a filter and an order.
     * </pre>
     */
    default void listModels(dev.slipway.registry.v1.ListModelsRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.registry.v1.ListModelsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getListModelsMethod(), responseObserver);
    }

    /**
     * <pre>
     * Changes a model's description or labels, as named by the update mask.
     * </pre>
     */
    default void updateModel(dev.slipway.registry.v1.UpdateModelRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.registry.v1.UpdateModelResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getUpdateModelMethod(), responseObserver);
    }

    /**
     * <pre>
     * Deletes a model that has no versions; with `force` (admin only), also one whose versions are
     * all archived or failed.
     * </pre>
     */
    default void deleteModel(dev.slipway.registry.v1.DeleteModelRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.registry.v1.DeleteModelResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getDeleteModelMethod(), responseObserver);
    }

    /**
     * <pre>
     * Creates a version by uploading its artifact: the first message carries the metadata, the
     * following ones the artifact bytes. The version becomes READY only when every declared file
     * arrived complete and matches its SHA-256; otherwise it ends FAILED and no partial file is
     * visible.
     * </pre>
     */
    default io.grpc.stub.StreamObserver<dev.slipway.registry.v1.CreateModelVersionRequest> createModelVersion(
        io.grpc.stub.StreamObserver<dev.slipway.registry.v1.CreateModelVersionResponse> responseObserver) {
      return io.grpc.stub.ServerCalls.asyncUnimplementedStreamingCall(getCreateModelVersionMethod(), responseObserver);
    }

    /**
     * <pre>
     * Returns one version, by number (`models/{model}/versions/{version}`) or by alias
     * (`models/{model}&#64;{alias}`).
     * </pre>
     */
    default void getModelVersion(dev.slipway.registry.v1.GetModelVersionRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.registry.v1.GetModelVersionResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getGetModelVersionMethod(), responseObserver);
    }

    /**
     * <pre>
     * Lists the versions of a model, with a filter on state, labels and metrics.
     * </pre>
     */
    default void listModelVersions(dev.slipway.registry.v1.ListModelVersionsRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.registry.v1.ListModelVersionsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getListModelVersionsMethod(), responseObserver);
    }

    /**
     * <pre>
     * Changes a version's description or labels; everything else about a version is immutable.
     * </pre>
     */
    default void updateModelVersion(dev.slipway.registry.v1.UpdateModelVersionRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.registry.v1.UpdateModelVersionResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getUpdateModelVersionMethod(), responseObserver);
    }

    /**
     * <pre>
     * Archives a version. A version that an alias points to cannot be archived
     * (FAILED_PRECONDITION).
     * </pre>
     */
    default void archiveModelVersion(dev.slipway.registry.v1.ArchiveModelVersionRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.registry.v1.ArchiveModelVersionResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getArchiveModelVersionMethod(), responseObserver);
    }

    /**
     * <pre>
     * Streams a version's artifact (or its reference sample): first a header with the SHA-256 and
     * size, then the bytes, so that the client verifies what it received.
     * </pre>
     */
    default void downloadModelVersion(dev.slipway.registry.v1.DownloadModelVersionRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.registry.v1.DownloadModelVersionResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getDownloadModelVersionMethod(), responseObserver);
    }

    /**
     * <pre>
     * Points an alias at a version, creating or moving it, and records the move in the alias
     * history. A protected alias (`production` by default) needs the approver or admin role, a
     * non-empty reason and a READY version.
     * </pre>
     */
    default void setModelAlias(dev.slipway.registry.v1.SetModelAliasRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.registry.v1.SetModelAliasResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getSetModelAliasMethod(), responseObserver);
    }

    /**
     * <pre>
     * Removes an alias and records it in the alias history. Protected aliases follow the same rules
     * as in SetModelAlias.
     * </pre>
     */
    default void deleteModelAlias(dev.slipway.registry.v1.DeleteModelAliasRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.registry.v1.DeleteModelAliasResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getDeleteModelAliasMethod(), responseObserver);
    }

    /**
     * <pre>
     * Lists the alias history of a model: every move, with who, when, from which version to which,
     * and why.
     * </pre>
     */
    default void listAliasHistory(dev.slipway.registry.v1.ListAliasHistoryRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.registry.v1.ListAliasHistoryResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getListAliasHistoryMethod(), responseObserver);
    }

    /**
     * <pre>
     * Streams registry change events. Events are stored: a watcher that reconnects with the last
     * sequence it processed first receives every event it missed, then live events.
     * </pre>
     */
    default void watchModelEvents(dev.slipway.registry.v1.WatchModelEventsRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.registry.v1.WatchModelEventsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getWatchModelEventsMethod(), responseObserver);
    }
  }

  /**
   * Base class for the server implementation of the service RegistryService.
   * <pre>
   * The source of truth for models, their versions and artifacts, aliases with their history, and
   * change events. Every mutation is audited in the same transaction as the change.
   * </pre>
   */
  public static abstract class RegistryServiceImplBase
      implements io.grpc.BindableService, AsyncService {

    @java.lang.Override public final io.grpc.ServerServiceDefinition bindService() {
      return RegistryServiceGrpc.bindService(this);
    }
  }

  /**
   * A stub to allow clients to do asynchronous rpc calls to service RegistryService.
   * <pre>
   * The source of truth for models, their versions and artifacts, aliases with their history, and
   * change events. Every mutation is audited in the same transaction as the change.
   * </pre>
   */
  public static final class RegistryServiceStub
      extends io.grpc.stub.AbstractAsyncStub<RegistryServiceStub> {
    private RegistryServiceStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected RegistryServiceStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new RegistryServiceStub(channel, callOptions);
    }

    /**
     * <pre>
     * Creates a model.
     * </pre>
     */
    public void createModel(dev.slipway.registry.v1.CreateModelRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.registry.v1.CreateModelResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getCreateModelMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Returns one model.
     * </pre>
     */
    public void getModel(dev.slipway.registry.v1.GetModelRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.registry.v1.GetModelResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getGetModelMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Lists models, with a filter and an order.
     * </pre>
     */
    public void listModels(dev.slipway.registry.v1.ListModelsRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.registry.v1.ListModelsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getListModelsMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Changes a model's description or labels, as named by the update mask.
     * </pre>
     */
    public void updateModel(dev.slipway.registry.v1.UpdateModelRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.registry.v1.UpdateModelResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getUpdateModelMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Deletes a model that has no versions; with `force` (admin only), also one whose versions are
     * all archived or failed.
     * </pre>
     */
    public void deleteModel(dev.slipway.registry.v1.DeleteModelRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.registry.v1.DeleteModelResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getDeleteModelMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Creates a version by uploading its artifact: the first message carries the metadata, the
     * following ones the artifact bytes. The version becomes READY only when every declared file
     * arrived complete and matches its SHA-256; otherwise it ends FAILED and no partial file is
     * visible.
     * </pre>
     */
    public io.grpc.stub.StreamObserver<dev.slipway.registry.v1.CreateModelVersionRequest> createModelVersion(
        io.grpc.stub.StreamObserver<dev.slipway.registry.v1.CreateModelVersionResponse> responseObserver) {
      return io.grpc.stub.ClientCalls.asyncClientStreamingCall(
          getChannel().newCall(getCreateModelVersionMethod(), getCallOptions()), responseObserver);
    }

    /**
     * <pre>
     * Returns one version, by number (`models/{model}/versions/{version}`) or by alias
     * (`models/{model}&#64;{alias}`).
     * </pre>
     */
    public void getModelVersion(dev.slipway.registry.v1.GetModelVersionRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.registry.v1.GetModelVersionResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getGetModelVersionMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Lists the versions of a model, with a filter on state, labels and metrics.
     * </pre>
     */
    public void listModelVersions(dev.slipway.registry.v1.ListModelVersionsRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.registry.v1.ListModelVersionsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getListModelVersionsMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Changes a version's description or labels; everything else about a version is immutable.
     * </pre>
     */
    public void updateModelVersion(dev.slipway.registry.v1.UpdateModelVersionRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.registry.v1.UpdateModelVersionResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getUpdateModelVersionMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Archives a version. A version that an alias points to cannot be archived
     * (FAILED_PRECONDITION).
     * </pre>
     */
    public void archiveModelVersion(dev.slipway.registry.v1.ArchiveModelVersionRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.registry.v1.ArchiveModelVersionResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getArchiveModelVersionMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Streams a version's artifact (or its reference sample): first a header with the SHA-256 and
     * size, then the bytes, so that the client verifies what it received.
     * </pre>
     */
    public void downloadModelVersion(dev.slipway.registry.v1.DownloadModelVersionRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.registry.v1.DownloadModelVersionResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncServerStreamingCall(
          getChannel().newCall(getDownloadModelVersionMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Points an alias at a version, creating or moving it, and records the move in the alias
     * history. A protected alias (`production` by default) needs the approver or admin role, a
     * non-empty reason and a READY version.
     * </pre>
     */
    public void setModelAlias(dev.slipway.registry.v1.SetModelAliasRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.registry.v1.SetModelAliasResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getSetModelAliasMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Removes an alias and records it in the alias history. Protected aliases follow the same rules
     * as in SetModelAlias.
     * </pre>
     */
    public void deleteModelAlias(dev.slipway.registry.v1.DeleteModelAliasRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.registry.v1.DeleteModelAliasResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getDeleteModelAliasMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Lists the alias history of a model: every move, with who, when, from which version to which,
     * and why.
     * </pre>
     */
    public void listAliasHistory(dev.slipway.registry.v1.ListAliasHistoryRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.registry.v1.ListAliasHistoryResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getListAliasHistoryMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Streams registry change events. Events are stored: a watcher that reconnects with the last
     * sequence it processed first receives every event it missed, then live events.
     * </pre>
     */
    public void watchModelEvents(dev.slipway.registry.v1.WatchModelEventsRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.registry.v1.WatchModelEventsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncServerStreamingCall(
          getChannel().newCall(getWatchModelEventsMethod(), getCallOptions()), request, responseObserver);
    }
  }

  /**
   * A stub to allow clients to do synchronous rpc calls to service RegistryService.
   * <pre>
   * The source of truth for models, their versions and artifacts, aliases with their history, and
   * change events. Every mutation is audited in the same transaction as the change.
   * </pre>
   */
  public static final class RegistryServiceBlockingV2Stub
      extends io.grpc.stub.AbstractBlockingStub<RegistryServiceBlockingV2Stub> {
    private RegistryServiceBlockingV2Stub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected RegistryServiceBlockingV2Stub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new RegistryServiceBlockingV2Stub(channel, callOptions);
    }

    /**
     * <pre>
     * Creates a model.
     * </pre>
     */
    public dev.slipway.registry.v1.CreateModelResponse createModel(dev.slipway.registry.v1.CreateModelRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getCreateModelMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Returns one model.
     * </pre>
     */
    public dev.slipway.registry.v1.GetModelResponse getModel(dev.slipway.registry.v1.GetModelRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getGetModelMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Lists models, with a filter and an order.
     * </pre>
     */
    public dev.slipway.registry.v1.ListModelsResponse listModels(dev.slipway.registry.v1.ListModelsRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getListModelsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Changes a model's description or labels, as named by the update mask.
     * </pre>
     */
    public dev.slipway.registry.v1.UpdateModelResponse updateModel(dev.slipway.registry.v1.UpdateModelRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getUpdateModelMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Deletes a model that has no versions; with `force` (admin only), also one whose versions are
     * all archived or failed.
     * </pre>
     */
    public dev.slipway.registry.v1.DeleteModelResponse deleteModel(dev.slipway.registry.v1.DeleteModelRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getDeleteModelMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Creates a version by uploading its artifact: the first message carries the metadata, the
     * following ones the artifact bytes. The version becomes READY only when every declared file
     * arrived complete and matches its SHA-256; otherwise it ends FAILED and no partial file is
     * visible.
     * </pre>
     */
    @io.grpc.ExperimentalApi("https://github.com/grpc/grpc-java/issues/10918")
    public io.grpc.stub.BlockingClientCall<dev.slipway.registry.v1.CreateModelVersionRequest, dev.slipway.registry.v1.CreateModelVersionResponse>
        createModelVersion() {
      return io.grpc.stub.ClientCalls.blockingClientStreamingCall(
          getChannel(), getCreateModelVersionMethod(), getCallOptions());
    }

    /**
     * <pre>
     * Returns one version, by number (`models/{model}/versions/{version}`) or by alias
     * (`models/{model}&#64;{alias}`).
     * </pre>
     */
    public dev.slipway.registry.v1.GetModelVersionResponse getModelVersion(dev.slipway.registry.v1.GetModelVersionRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getGetModelVersionMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Lists the versions of a model, with a filter on state, labels and metrics.
     * </pre>
     */
    public dev.slipway.registry.v1.ListModelVersionsResponse listModelVersions(dev.slipway.registry.v1.ListModelVersionsRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getListModelVersionsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Changes a version's description or labels; everything else about a version is immutable.
     * </pre>
     */
    public dev.slipway.registry.v1.UpdateModelVersionResponse updateModelVersion(dev.slipway.registry.v1.UpdateModelVersionRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getUpdateModelVersionMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Archives a version. A version that an alias points to cannot be archived
     * (FAILED_PRECONDITION).
     * </pre>
     */
    public dev.slipway.registry.v1.ArchiveModelVersionResponse archiveModelVersion(dev.slipway.registry.v1.ArchiveModelVersionRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getArchiveModelVersionMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Streams a version's artifact (or its reference sample): first a header with the SHA-256 and
     * size, then the bytes, so that the client verifies what it received.
     * </pre>
     */
    @io.grpc.ExperimentalApi("https://github.com/grpc/grpc-java/issues/10918")
    public io.grpc.stub.BlockingClientCall<?, dev.slipway.registry.v1.DownloadModelVersionResponse>
        downloadModelVersion(dev.slipway.registry.v1.DownloadModelVersionRequest request) {
      return io.grpc.stub.ClientCalls.blockingV2ServerStreamingCall(
          getChannel(), getDownloadModelVersionMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Points an alias at a version, creating or moving it, and records the move in the alias
     * history. A protected alias (`production` by default) needs the approver or admin role, a
     * non-empty reason and a READY version.
     * </pre>
     */
    public dev.slipway.registry.v1.SetModelAliasResponse setModelAlias(dev.slipway.registry.v1.SetModelAliasRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getSetModelAliasMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Removes an alias and records it in the alias history. Protected aliases follow the same rules
     * as in SetModelAlias.
     * </pre>
     */
    public dev.slipway.registry.v1.DeleteModelAliasResponse deleteModelAlias(dev.slipway.registry.v1.DeleteModelAliasRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getDeleteModelAliasMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Lists the alias history of a model: every move, with who, when, from which version to which,
     * and why.
     * </pre>
     */
    public dev.slipway.registry.v1.ListAliasHistoryResponse listAliasHistory(dev.slipway.registry.v1.ListAliasHistoryRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getListAliasHistoryMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Streams registry change events. Events are stored: a watcher that reconnects with the last
     * sequence it processed first receives every event it missed, then live events.
     * </pre>
     */
    @io.grpc.ExperimentalApi("https://github.com/grpc/grpc-java/issues/10918")
    public io.grpc.stub.BlockingClientCall<?, dev.slipway.registry.v1.WatchModelEventsResponse>
        watchModelEvents(dev.slipway.registry.v1.WatchModelEventsRequest request) {
      return io.grpc.stub.ClientCalls.blockingV2ServerStreamingCall(
          getChannel(), getWatchModelEventsMethod(), getCallOptions(), request);
    }
  }

  /**
   * A stub to allow clients to do limited synchronous rpc calls to service RegistryService.
   * <pre>
   * The source of truth for models, their versions and artifacts, aliases with their history, and
   * change events. Every mutation is audited in the same transaction as the change.
   * </pre>
   */
  public static final class RegistryServiceBlockingStub
      extends io.grpc.stub.AbstractBlockingStub<RegistryServiceBlockingStub> {
    private RegistryServiceBlockingStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected RegistryServiceBlockingStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new RegistryServiceBlockingStub(channel, callOptions);
    }

    /**
     * <pre>
     * Creates a model.
     * </pre>
     */
    public dev.slipway.registry.v1.CreateModelResponse createModel(dev.slipway.registry.v1.CreateModelRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getCreateModelMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Returns one model.
     * </pre>
     */
    public dev.slipway.registry.v1.GetModelResponse getModel(dev.slipway.registry.v1.GetModelRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getGetModelMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Lists models, with a filter and an order.
     * </pre>
     */
    public dev.slipway.registry.v1.ListModelsResponse listModels(dev.slipway.registry.v1.ListModelsRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getListModelsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Changes a model's description or labels, as named by the update mask.
     * </pre>
     */
    public dev.slipway.registry.v1.UpdateModelResponse updateModel(dev.slipway.registry.v1.UpdateModelRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getUpdateModelMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Deletes a model that has no versions; with `force` (admin only), also one whose versions are
     * all archived or failed.
     * </pre>
     */
    public dev.slipway.registry.v1.DeleteModelResponse deleteModel(dev.slipway.registry.v1.DeleteModelRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getDeleteModelMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Returns one version, by number (`models/{model}/versions/{version}`) or by alias
     * (`models/{model}&#64;{alias}`).
     * </pre>
     */
    public dev.slipway.registry.v1.GetModelVersionResponse getModelVersion(dev.slipway.registry.v1.GetModelVersionRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getGetModelVersionMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Lists the versions of a model, with a filter on state, labels and metrics.
     * </pre>
     */
    public dev.slipway.registry.v1.ListModelVersionsResponse listModelVersions(dev.slipway.registry.v1.ListModelVersionsRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getListModelVersionsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Changes a version's description or labels; everything else about a version is immutable.
     * </pre>
     */
    public dev.slipway.registry.v1.UpdateModelVersionResponse updateModelVersion(dev.slipway.registry.v1.UpdateModelVersionRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getUpdateModelVersionMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Archives a version. A version that an alias points to cannot be archived
     * (FAILED_PRECONDITION).
     * </pre>
     */
    public dev.slipway.registry.v1.ArchiveModelVersionResponse archiveModelVersion(dev.slipway.registry.v1.ArchiveModelVersionRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getArchiveModelVersionMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Streams a version's artifact (or its reference sample): first a header with the SHA-256 and
     * size, then the bytes, so that the client verifies what it received.
     * </pre>
     */
    public java.util.Iterator<dev.slipway.registry.v1.DownloadModelVersionResponse> downloadModelVersion(
        dev.slipway.registry.v1.DownloadModelVersionRequest request) {
      return io.grpc.stub.ClientCalls.blockingServerStreamingCall(
          getChannel(), getDownloadModelVersionMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Points an alias at a version, creating or moving it, and records the move in the alias
     * history. A protected alias (`production` by default) needs the approver or admin role, a
     * non-empty reason and a READY version.
     * </pre>
     */
    public dev.slipway.registry.v1.SetModelAliasResponse setModelAlias(dev.slipway.registry.v1.SetModelAliasRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getSetModelAliasMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Removes an alias and records it in the alias history. Protected aliases follow the same rules
     * as in SetModelAlias.
     * </pre>
     */
    public dev.slipway.registry.v1.DeleteModelAliasResponse deleteModelAlias(dev.slipway.registry.v1.DeleteModelAliasRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getDeleteModelAliasMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Lists the alias history of a model: every move, with who, when, from which version to which,
     * and why.
     * </pre>
     */
    public dev.slipway.registry.v1.ListAliasHistoryResponse listAliasHistory(dev.slipway.registry.v1.ListAliasHistoryRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getListAliasHistoryMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Streams registry change events. Events are stored: a watcher that reconnects with the last
     * sequence it processed first receives every event it missed, then live events.
     * </pre>
     */
    public java.util.Iterator<dev.slipway.registry.v1.WatchModelEventsResponse> watchModelEvents(
        dev.slipway.registry.v1.WatchModelEventsRequest request) {
      return io.grpc.stub.ClientCalls.blockingServerStreamingCall(
          getChannel(), getWatchModelEventsMethod(), getCallOptions(), request);
    }
  }

  /**
   * A stub to allow clients to do ListenableFuture-style rpc calls to service RegistryService.
   * <pre>
   * The source of truth for models, their versions and artifacts, aliases with their history, and
   * change events. Every mutation is audited in the same transaction as the change.
   * </pre>
   */
  public static final class RegistryServiceFutureStub
      extends io.grpc.stub.AbstractFutureStub<RegistryServiceFutureStub> {
    private RegistryServiceFutureStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected RegistryServiceFutureStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new RegistryServiceFutureStub(channel, callOptions);
    }

    /**
     * <pre>
     * Creates a model.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.slipway.registry.v1.CreateModelResponse> createModel(
        dev.slipway.registry.v1.CreateModelRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getCreateModelMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Returns one model.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.slipway.registry.v1.GetModelResponse> getModel(
        dev.slipway.registry.v1.GetModelRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getGetModelMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Lists models, with a filter and an order.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.slipway.registry.v1.ListModelsResponse> listModels(
        dev.slipway.registry.v1.ListModelsRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getListModelsMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Changes a model's description or labels, as named by the update mask.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.slipway.registry.v1.UpdateModelResponse> updateModel(
        dev.slipway.registry.v1.UpdateModelRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getUpdateModelMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Deletes a model that has no versions; with `force` (admin only), also one whose versions are
     * all archived or failed.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.slipway.registry.v1.DeleteModelResponse> deleteModel(
        dev.slipway.registry.v1.DeleteModelRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getDeleteModelMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Returns one version, by number (`models/{model}/versions/{version}`) or by alias
     * (`models/{model}&#64;{alias}`).
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.slipway.registry.v1.GetModelVersionResponse> getModelVersion(
        dev.slipway.registry.v1.GetModelVersionRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getGetModelVersionMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Lists the versions of a model, with a filter on state, labels and metrics.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.slipway.registry.v1.ListModelVersionsResponse> listModelVersions(
        dev.slipway.registry.v1.ListModelVersionsRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getListModelVersionsMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Changes a version's description or labels; everything else about a version is immutable.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.slipway.registry.v1.UpdateModelVersionResponse> updateModelVersion(
        dev.slipway.registry.v1.UpdateModelVersionRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getUpdateModelVersionMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Archives a version. A version that an alias points to cannot be archived
     * (FAILED_PRECONDITION).
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.slipway.registry.v1.ArchiveModelVersionResponse> archiveModelVersion(
        dev.slipway.registry.v1.ArchiveModelVersionRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getArchiveModelVersionMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Points an alias at a version, creating or moving it, and records the move in the alias
     * history. A protected alias (`production` by default) needs the approver or admin role, a
     * non-empty reason and a READY version.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.slipway.registry.v1.SetModelAliasResponse> setModelAlias(
        dev.slipway.registry.v1.SetModelAliasRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getSetModelAliasMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Removes an alias and records it in the alias history. Protected aliases follow the same rules
     * as in SetModelAlias.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.slipway.registry.v1.DeleteModelAliasResponse> deleteModelAlias(
        dev.slipway.registry.v1.DeleteModelAliasRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getDeleteModelAliasMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Lists the alias history of a model: every move, with who, when, from which version to which,
     * and why.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.slipway.registry.v1.ListAliasHistoryResponse> listAliasHistory(
        dev.slipway.registry.v1.ListAliasHistoryRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getListAliasHistoryMethod(), getCallOptions()), request);
    }
  }

  private static final int METHODID_CREATE_MODEL = 0;
  private static final int METHODID_GET_MODEL = 1;
  private static final int METHODID_LIST_MODELS = 2;
  private static final int METHODID_UPDATE_MODEL = 3;
  private static final int METHODID_DELETE_MODEL = 4;
  private static final int METHODID_GET_MODEL_VERSION = 5;
  private static final int METHODID_LIST_MODEL_VERSIONS = 6;
  private static final int METHODID_UPDATE_MODEL_VERSION = 7;
  private static final int METHODID_ARCHIVE_MODEL_VERSION = 8;
  private static final int METHODID_DOWNLOAD_MODEL_VERSION = 9;
  private static final int METHODID_SET_MODEL_ALIAS = 10;
  private static final int METHODID_DELETE_MODEL_ALIAS = 11;
  private static final int METHODID_LIST_ALIAS_HISTORY = 12;
  private static final int METHODID_WATCH_MODEL_EVENTS = 13;
  private static final int METHODID_CREATE_MODEL_VERSION = 14;

  private static final class MethodHandlers<Req, Resp> implements
      io.grpc.stub.ServerCalls.UnaryMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.ServerStreamingMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.ClientStreamingMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.BidiStreamingMethod<Req, Resp> {
    private final AsyncService serviceImpl;
    private final int methodId;

    MethodHandlers(AsyncService serviceImpl, int methodId) {
      this.serviceImpl = serviceImpl;
      this.methodId = methodId;
    }

    @java.lang.Override
    @java.lang.SuppressWarnings("unchecked")
    public void invoke(Req request, io.grpc.stub.StreamObserver<Resp> responseObserver) {
      switch (methodId) {
        case METHODID_CREATE_MODEL:
          serviceImpl.createModel((dev.slipway.registry.v1.CreateModelRequest) request,
              (io.grpc.stub.StreamObserver<dev.slipway.registry.v1.CreateModelResponse>) responseObserver);
          break;
        case METHODID_GET_MODEL:
          serviceImpl.getModel((dev.slipway.registry.v1.GetModelRequest) request,
              (io.grpc.stub.StreamObserver<dev.slipway.registry.v1.GetModelResponse>) responseObserver);
          break;
        case METHODID_LIST_MODELS:
          serviceImpl.listModels((dev.slipway.registry.v1.ListModelsRequest) request,
              (io.grpc.stub.StreamObserver<dev.slipway.registry.v1.ListModelsResponse>) responseObserver);
          break;
        case METHODID_UPDATE_MODEL:
          serviceImpl.updateModel((dev.slipway.registry.v1.UpdateModelRequest) request,
              (io.grpc.stub.StreamObserver<dev.slipway.registry.v1.UpdateModelResponse>) responseObserver);
          break;
        case METHODID_DELETE_MODEL:
          serviceImpl.deleteModel((dev.slipway.registry.v1.DeleteModelRequest) request,
              (io.grpc.stub.StreamObserver<dev.slipway.registry.v1.DeleteModelResponse>) responseObserver);
          break;
        case METHODID_GET_MODEL_VERSION:
          serviceImpl.getModelVersion((dev.slipway.registry.v1.GetModelVersionRequest) request,
              (io.grpc.stub.StreamObserver<dev.slipway.registry.v1.GetModelVersionResponse>) responseObserver);
          break;
        case METHODID_LIST_MODEL_VERSIONS:
          serviceImpl.listModelVersions((dev.slipway.registry.v1.ListModelVersionsRequest) request,
              (io.grpc.stub.StreamObserver<dev.slipway.registry.v1.ListModelVersionsResponse>) responseObserver);
          break;
        case METHODID_UPDATE_MODEL_VERSION:
          serviceImpl.updateModelVersion((dev.slipway.registry.v1.UpdateModelVersionRequest) request,
              (io.grpc.stub.StreamObserver<dev.slipway.registry.v1.UpdateModelVersionResponse>) responseObserver);
          break;
        case METHODID_ARCHIVE_MODEL_VERSION:
          serviceImpl.archiveModelVersion((dev.slipway.registry.v1.ArchiveModelVersionRequest) request,
              (io.grpc.stub.StreamObserver<dev.slipway.registry.v1.ArchiveModelVersionResponse>) responseObserver);
          break;
        case METHODID_DOWNLOAD_MODEL_VERSION:
          serviceImpl.downloadModelVersion((dev.slipway.registry.v1.DownloadModelVersionRequest) request,
              (io.grpc.stub.StreamObserver<dev.slipway.registry.v1.DownloadModelVersionResponse>) responseObserver);
          break;
        case METHODID_SET_MODEL_ALIAS:
          serviceImpl.setModelAlias((dev.slipway.registry.v1.SetModelAliasRequest) request,
              (io.grpc.stub.StreamObserver<dev.slipway.registry.v1.SetModelAliasResponse>) responseObserver);
          break;
        case METHODID_DELETE_MODEL_ALIAS:
          serviceImpl.deleteModelAlias((dev.slipway.registry.v1.DeleteModelAliasRequest) request,
              (io.grpc.stub.StreamObserver<dev.slipway.registry.v1.DeleteModelAliasResponse>) responseObserver);
          break;
        case METHODID_LIST_ALIAS_HISTORY:
          serviceImpl.listAliasHistory((dev.slipway.registry.v1.ListAliasHistoryRequest) request,
              (io.grpc.stub.StreamObserver<dev.slipway.registry.v1.ListAliasHistoryResponse>) responseObserver);
          break;
        case METHODID_WATCH_MODEL_EVENTS:
          serviceImpl.watchModelEvents((dev.slipway.registry.v1.WatchModelEventsRequest) request,
              (io.grpc.stub.StreamObserver<dev.slipway.registry.v1.WatchModelEventsResponse>) responseObserver);
          break;
        default:
          throw new AssertionError();
      }
    }

    @java.lang.Override
    @java.lang.SuppressWarnings("unchecked")
    public io.grpc.stub.StreamObserver<Req> invoke(
        io.grpc.stub.StreamObserver<Resp> responseObserver) {
      switch (methodId) {
        case METHODID_CREATE_MODEL_VERSION:
          return (io.grpc.stub.StreamObserver<Req>) serviceImpl.createModelVersion(
              (io.grpc.stub.StreamObserver<dev.slipway.registry.v1.CreateModelVersionResponse>) responseObserver);
        default:
          throw new AssertionError();
      }
    }
  }

  public static final io.grpc.ServerServiceDefinition bindService(AsyncService service) {
    return io.grpc.ServerServiceDefinition.builder(getServiceDescriptor())
        .addMethod(
          getCreateModelMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.slipway.registry.v1.CreateModelRequest,
              dev.slipway.registry.v1.CreateModelResponse>(
                service, METHODID_CREATE_MODEL)))
        .addMethod(
          getGetModelMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.slipway.registry.v1.GetModelRequest,
              dev.slipway.registry.v1.GetModelResponse>(
                service, METHODID_GET_MODEL)))
        .addMethod(
          getListModelsMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.slipway.registry.v1.ListModelsRequest,
              dev.slipway.registry.v1.ListModelsResponse>(
                service, METHODID_LIST_MODELS)))
        .addMethod(
          getUpdateModelMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.slipway.registry.v1.UpdateModelRequest,
              dev.slipway.registry.v1.UpdateModelResponse>(
                service, METHODID_UPDATE_MODEL)))
        .addMethod(
          getDeleteModelMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.slipway.registry.v1.DeleteModelRequest,
              dev.slipway.registry.v1.DeleteModelResponse>(
                service, METHODID_DELETE_MODEL)))
        .addMethod(
          getCreateModelVersionMethod(),
          io.grpc.stub.ServerCalls.asyncClientStreamingCall(
            new MethodHandlers<
              dev.slipway.registry.v1.CreateModelVersionRequest,
              dev.slipway.registry.v1.CreateModelVersionResponse>(
                service, METHODID_CREATE_MODEL_VERSION)))
        .addMethod(
          getGetModelVersionMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.slipway.registry.v1.GetModelVersionRequest,
              dev.slipway.registry.v1.GetModelVersionResponse>(
                service, METHODID_GET_MODEL_VERSION)))
        .addMethod(
          getListModelVersionsMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.slipway.registry.v1.ListModelVersionsRequest,
              dev.slipway.registry.v1.ListModelVersionsResponse>(
                service, METHODID_LIST_MODEL_VERSIONS)))
        .addMethod(
          getUpdateModelVersionMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.slipway.registry.v1.UpdateModelVersionRequest,
              dev.slipway.registry.v1.UpdateModelVersionResponse>(
                service, METHODID_UPDATE_MODEL_VERSION)))
        .addMethod(
          getArchiveModelVersionMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.slipway.registry.v1.ArchiveModelVersionRequest,
              dev.slipway.registry.v1.ArchiveModelVersionResponse>(
                service, METHODID_ARCHIVE_MODEL_VERSION)))
        .addMethod(
          getDownloadModelVersionMethod(),
          io.grpc.stub.ServerCalls.asyncServerStreamingCall(
            new MethodHandlers<
              dev.slipway.registry.v1.DownloadModelVersionRequest,
              dev.slipway.registry.v1.DownloadModelVersionResponse>(
                service, METHODID_DOWNLOAD_MODEL_VERSION)))
        .addMethod(
          getSetModelAliasMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.slipway.registry.v1.SetModelAliasRequest,
              dev.slipway.registry.v1.SetModelAliasResponse>(
                service, METHODID_SET_MODEL_ALIAS)))
        .addMethod(
          getDeleteModelAliasMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.slipway.registry.v1.DeleteModelAliasRequest,
              dev.slipway.registry.v1.DeleteModelAliasResponse>(
                service, METHODID_DELETE_MODEL_ALIAS)))
        .addMethod(
          getListAliasHistoryMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.slipway.registry.v1.ListAliasHistoryRequest,
              dev.slipway.registry.v1.ListAliasHistoryResponse>(
                service, METHODID_LIST_ALIAS_HISTORY)))
        .addMethod(
          getWatchModelEventsMethod(),
          io.grpc.stub.ServerCalls.asyncServerStreamingCall(
            new MethodHandlers<
              dev.slipway.registry.v1.WatchModelEventsRequest,
              dev.slipway.registry.v1.WatchModelEventsResponse>(
                service, METHODID_WATCH_MODEL_EVENTS)))
        .build();
  }

  private static abstract class RegistryServiceBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoFileDescriptorSupplier, io.grpc.protobuf.ProtoServiceDescriptorSupplier {
    RegistryServiceBaseDescriptorSupplier() {}

    @java.lang.Override
    public com.google.protobuf.Descriptors.FileDescriptor getFileDescriptor() {
      return dev.slipway.registry.v1.RegistryServiceProto.getDescriptor();
    }

    @java.lang.Override
    public com.google.protobuf.Descriptors.ServiceDescriptor getServiceDescriptor() {
      return getFileDescriptor().findServiceByName("RegistryService");
    }
  }

  private static final class RegistryServiceFileDescriptorSupplier
      extends RegistryServiceBaseDescriptorSupplier {
    RegistryServiceFileDescriptorSupplier() {}
  }

  private static final class RegistryServiceMethodDescriptorSupplier
      extends RegistryServiceBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoMethodDescriptorSupplier {
    private final java.lang.String methodName;

    RegistryServiceMethodDescriptorSupplier(java.lang.String methodName) {
      this.methodName = methodName;
    }

    @java.lang.Override
    public com.google.protobuf.Descriptors.MethodDescriptor getMethodDescriptor() {
      return getServiceDescriptor().findMethodByName(methodName);
    }
  }

  private static volatile io.grpc.ServiceDescriptor serviceDescriptor;

  public static io.grpc.ServiceDescriptor getServiceDescriptor() {
    io.grpc.ServiceDescriptor result = serviceDescriptor;
    if (result == null) {
      synchronized (RegistryServiceGrpc.class) {
        result = serviceDescriptor;
        if (result == null) {
          serviceDescriptor = result = io.grpc.ServiceDescriptor.newBuilder(SERVICE_NAME)
              .setSchemaDescriptor(new RegistryServiceFileDescriptorSupplier())
              .addMethod(getCreateModelMethod())
              .addMethod(getGetModelMethod())
              .addMethod(getListModelsMethod())
              .addMethod(getUpdateModelMethod())
              .addMethod(getDeleteModelMethod())
              .addMethod(getCreateModelVersionMethod())
              .addMethod(getGetModelVersionMethod())
              .addMethod(getListModelVersionsMethod())
              .addMethod(getUpdateModelVersionMethod())
              .addMethod(getArchiveModelVersionMethod())
              .addMethod(getDownloadModelVersionMethod())
              .addMethod(getSetModelAliasMethod())
              .addMethod(getDeleteModelAliasMethod())
              .addMethod(getListAliasHistoryMethod())
              .addMethod(getWatchModelEventsMethod())
              .build();
        }
      }
    }
    return result;
  }
}
